"""float32 against bfloat16 training (``train.precision``) on a finished split: speed and scores.

Trains the model of ``config.yaml`` (plus any ``--configfile`` overlays, merged like Snakemake
merges them) twice through the workflow's training stage, once per precision, with the same
seed, data and balancing, and prints for each: the mean epoch time, the validation and test
macro-F1 and accuracy, and the differences. The test part only checks that the arithmetic
changes no result (the issue's bound: 0.005 macro-F1); nothing is chosen by it.

    python benchmarks/compare_precision.py --task six --split intra --epochs 4 [--threads 2]
        [--configfile config/inter_patient.yaml] [--results results]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ecgbeats-numba-cache"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from snakemake.utils import update_config  # noqa: E402

from ecgbeats.artifacts import SPLIT, load_rows_of, read_history  # noqa: E402
from ecgbeats.balancing import BalanceOptions  # noqa: E402
from ecgbeats.model import dataset_inputs, load_model, predict_proba  # noqa: E402
from ecgbeats.stages.training import train_model  # noqa: E402
from ecgbeats.training import PRECISIONS, TrainConfig, macro_f1_present  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--task", default="six")
    parser.add_argument("--split", default="intra")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--configfile", type=Path, nargs="*", default=[])
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for overlay in args.configfile:
        update_config(config, yaml.safe_load(overlay.read_text()))  # as --configfile merges
    dataset = args.results / "datasets" / f"{args.task}.npz"
    split = args.results / args.split / args.task / "split.npz"
    data, parts, names = load_rows_of(dataset, SPLIT, split, ("validation", "test"))
    balancing = BalanceOptions(**config["balance"])
    train = {key: value for key, value in config["train"].items() if key != "seeds"}
    train |= {"epochs": args.epochs, "seed": config["train"]["seeds"][0], "device": "cpu"}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for precision in args.precisions:
            model_path = Path(scratch) / f"{precision}.pt"
            history_path = Path(scratch) / f"{precision}.tsv"
            started = time.perf_counter()
            best = train_model(
                dataset,
                split,
                model_path,
                history_path,
                balancing,
                config["model"],
                TrainConfig(**train | {"precision": precision}),
                config["prematurity"].get(args.task),
            )
            seconds = time.perf_counter() - started
            model, _ = load_model(model_path, names)
            row = {
                "precision": precision,
                "best_epoch": best,
                "epoch_seconds": read_history(history_path)["seconds"].mean(),
                "stage_seconds": seconds,
            }
            for part in ("validation", "test"):
                y_true = data["labels"][parts[part]]
                inputs = dataset_inputs(model.config, data, parts[part])
                rhythm = data["rr_features"][parts[part]]
                y_pred = predict_proba(model, inputs, rr_features=rhythm).argmax(axis=1)
                row[f"{part}_macro_f1"] = macro_f1_present(y_true, y_pred)
                row[f"{part}_accuracy"] = float(np.mean(y_true == y_pred))
            rows.append(row)
    table = pd.DataFrame(rows).set_index("precision")
    print(f"task {args.task}, split {args.split}, {args.epochs} epochs, threads {args.threads}")
    print(f"CPU capability {torch.backends.cpu.get_cpu_capability()}, torch {torch.__version__}")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    if len(rows) > 1:
        first, other = table.index[0], table.index[1:]
        for precision in other:
            speed = table.loc[first, "epoch_seconds"] / table.loc[precision, "epoch_seconds"]
            print(f"{precision}: epoch speed-up over {first} {speed:.3f}")
            for part in ("validation", "test"):
                delta = (
                    table.loc[precision, f"{part}_macro_f1"] - table.loc[first, f"{part}_macro_f1"]
                )
                print(f"{precision}: {part} macro-F1 minus {first}'s {delta:+.4f}")


if __name__ == "__main__":
    main()
