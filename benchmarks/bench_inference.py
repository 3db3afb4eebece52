"""Inference speed of the beat CNN per batch size, printed as rates and ratios (not a test).

    python benchmarks/bench_inference.py [--beats 8192] [--threads 1] [--device cpu]
        [--batch-sizes 128 256 512 1024 2048 4096] [--repeats 3]

Every forward pass over many beats (evaluation, the per-epoch validation, the noise stress test,
scoring of new recordings, UMAP's features, SHAP's logits) goes through
``ecgbeats.model.batched_outputs`` in batches of ``ecgbeats.model.INFERENCE_BATCH`` beats. This
prints beats/s of ``predict_proba`` (config.yaml's CNN shape and RR branch of
config/inter_patient.yaml, random weights and beats) for each batch size, measured interleaved
(best of the repeats), and each rate over the rate at the library's batch size.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from snakemake.utils import update_config

from ecgbeats.model import INFERENCE_BATCH, BeatCNN, CNNConfig, predict_proba, resolve_device

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[128, 256, 512, 1024, 2048, 4096]
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    # As --configfile merges the overlay.
    update_config(config, yaml.safe_load((ROOT / "config" / "inter_patient.yaml").read_text()))
    window = config["beats"]["before"] + config["beats"]["after"]
    network = BeatCNN(
        CNNConfig(n_classes=4, input_length=window, leads=1, **config["model"])
    ).eval()
    rng = np.random.default_rng(0)
    beats = rng.standard_normal((args.beats, network.config.input_width), dtype=np.float32)
    sizes = sorted(set(args.batch_sizes) | {INFERENCE_BATCH})
    predict_proba(network, beats[:1024], INFERENCE_BATCH, device)  # warm-up
    rates: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(args.repeats):
        for size in sizes:
            started = time.perf_counter()
            predict_proba(network, beats, size, device)
            rates[size].append(args.beats / (time.perf_counter() - started))
    best = {size: max(values) for size, values in rates.items()}
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"{args.beats} beats of width {network.config.input_width}, best of {args.repeats}")
    print("batch size   beats/s   / library's batch")
    for size in sizes:
        mark = "  (ecgbeats.model.INFERENCE_BATCH)" if size == INFERENCE_BATCH else ""
        print(f"{size:10d} {best[size]:9.0f} {best[size] / best[INFERENCE_BATCH]:11.3f}{mark}")


if __name__ == "__main__":
    main()
