"""Training speed of the beat CNN on this machine, printed as rates and ratios (not a test).

    python benchmarks/bench_training.py [--samples 20480] [--threads 2] [--batch-size 1280]
        [--channels 16 16 32 32 64 64] [--hidden 128 64 32] [--device cpu] [--repeats 3]
        [--precisions float32 bfloat16] [--compile] [--epoch-beats 283560]
        [--bn-calibration-beats N]

Prints, for each precision of ``train.precision`` (measured interleaved in one run):
* training samples/s of an epoch of ``ecgbeats.training.train_model`` (random beats; the
  second epoch, including its small validation pass);
* achieved FLOP/s (FLOPs of one training step counted by torch's FlopCounterMode, forward and
  backward) divided by the FLOP/s of a large float32 matmul measured in the same run (the
  float32 peak also for bfloat16: the question is how much faster training gets on this machine);
* epoch time of ``train_model`` divided by a bare forward/backward/step loop over pre-sliced
  in-memory tensors (target <= 1.1), with the per-epoch BatchNorm recalibration at the share of
  an epoch it has in the workflow (``train.bn_calibration_beats`` of an epoch of
  ``--epoch-beats``: by default the six-class task's SMOTE-balanced epoch), and without it (the
  input pipeline, bookkeeping and the small validation pass);
* with ``--compile``: the speed of the bare loop with the model wrapped by ``torch.compile``
  over the plain bare loop (the workflow does not compile: README "Training speed").
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
import torch  # noqa: E402
import yaml  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from ecgbeats.model import BeatCNN, CNNConfig, resolve_device  # noqa: E402
from ecgbeats.training import PRECISIONS, TrainConfig, train_model  # noqa: E402

# The workflow's settings (config.yaml) for whatever the command line does not set.
CONFIG = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())


def matmul_flops(device: torch.device, size: int = 2048, seconds: float = 2.0) -> float:
    """FLOP/s of repeated float32 (size x size) matmuls: the machine's practical float32 peak."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    for _ in range(2):
        a @ b
    sync(device)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        count += 1
    sync(device)
    return 2 * size**3 * count / (time.perf_counter() - started)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def step_flops(config: CNNConfig, batch: int, device: torch.device) -> int:
    """FLOPs of one training step (forward + backward) on a batch."""
    model = BeatCNN(config).to(device)
    x = torch.randn(batch, 1, config.input_length, device=device)
    y = torch.randint(0, config.n_classes, (batch,), device=device)
    with FlopCounterMode(display=False) as counter:
        nn.functional.cross_entropy(model(x), y).backward()
    return counter.get_total_flops()


def bare_epoch(
    x: torch.Tensor,
    y: torch.Tensor,
    config: CNNConfig,
    batch: int,
    device: torch.device,
    precision: str,
    compiled: bool = False,
) -> float:
    """Seconds of one epoch of forward/backward/step over pre-sliced batches (no shuffling),
    under bfloat16 autocast when `precision` says so (as ecgbeats.training does); `compiled`:
    the model wrapped by torch.compile (its compilation happens in the warm-up, untimed)."""
    network = BeatCNN(config).to(device).train()
    optimiser = torch.optim.Adam(network.parameters(), lr=5e-4)
    model = torch.compile(network) if compiled else network
    xs = [x[i : i + batch].contiguous() for i in range(0, x.shape[0], batch)]
    ys = [y[i : i + batch].contiguous() for i in range(0, y.shape[0], batch)]
    autocast = torch.autocast(device.type, torch.bfloat16, enabled=precision == "bfloat16")
    for xb, yb in zip(xs[:2], ys[:2], strict=True):  # warm-up
        with autocast:
            logits = model(xb)
        nn.functional.cross_entropy(logits.float(), yb).backward()
    sync(device)
    started = time.perf_counter()
    for xb, yb in zip(xs, ys, strict=True):
        with autocast:
            logits = model(xb)
        loss = nn.functional.cross_entropy(logits.float(), yb)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    sync(device)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20480)
    parser.add_argument("--validation", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1280)
    parser.add_argument("--classes", type=int, default=6)
    parser.add_argument("--channels", type=int, nargs=6, default=None)
    parser.add_argument("--hidden", type=int, nargs=3, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS))
    # The per-epoch BatchNorm recalibration is a forward pass over a fixed number of beats
    # (train.bn_calibration_beats), so its share of an epoch depends on the epoch's size: it is
    # scaled to the share it has in an epoch of --epoch-beats (283,560: the six-class task's
    # SMOTE-balanced training part of the full MIT-BIH; the ten-class one is 472,590).
    parser.add_argument("--epoch-beats", type=int, default=283560)
    parser.add_argument(
        "--bn-calibration-beats",
        type=int,
        default=None,
        help="beats of the per-epoch BatchNorm recalibration (default: scaled, see above)",
    )
    args = parser.parse_args()
    scaling = args.bn_calibration_beats is None
    if scaling:
        args.bn_calibration_beats = round(
            CONFIG["train"]["bn_calibration_beats"] * args.samples / args.epoch_beats
        )

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    shape = dict(CONFIG["model"])
    if args.channels:
        shape["channels"] = tuple(args.channels)
    if args.hidden:
        shape["hidden"] = tuple(args.hidden)
    window = CONFIG["beats"]["before"] + CONFIG["beats"]["after"]
    config = CNNConfig(n_classes=args.classes, input_length=window, leads=1, **shape)
    rng = np.random.default_rng(0)
    beats = rng.standard_normal((args.samples, config.input_width), dtype=np.float32)
    labels = rng.integers(0, args.classes, args.samples)
    val_beats = rng.standard_normal((args.validation, config.input_width), dtype=np.float32)
    val_labels = rng.integers(0, args.classes, args.validation)
    x = torch.from_numpy(beats).unsqueeze(1).to(device)
    y = torch.from_numpy(labels).to(device)

    flops = step_flops(config, args.batch_size, device)
    n_batches = -(-args.samples // args.batch_size)
    total_flops = flops * args.samples / args.batch_size
    # Two epochs, the second timed: like the bare loop, it runs after warm-up allocations.
    settings = {key: value for key, value in CONFIG["train"].items() if key != "seeds"}
    calibrations = (args.bn_calibration_beats, 0)  # as in the workflow, and none
    train_configs = {
        (precision, calibration): TrainConfig(
            **settings
            | {
                "seed": CONFIG["train"]["seeds"][0],
                "epochs": 2,
                "batch_size": args.batch_size,
                "device": str(device),
                "bn_calibration_beats": calibration,
                "precision": precision,
            }
        )
        for precision in args.precisions
        for calibration in calibrations
    }
    # Interleaved repeats, best of each: on a shared machine this compares like with like.
    peaks: list[float] = []
    bares: dict[str, list[float]] = {precision: [] for precision in args.precisions}
    epochs: dict[tuple[str, int], list[float]] = {key: [] for key in train_configs}
    compiled: dict[str, list[float]] = {precision: [] for precision in args.precisions}
    for _ in range(args.repeats):
        peaks.append(matmul_flops(device, seconds=1.0))
        for precision in args.precisions:
            bares[precision].append(bare_epoch(x, y, config, args.batch_size, device, precision))
            if args.compile:
                compiled[precision].append(
                    bare_epoch(x, y, config, args.batch_size, device, precision, compiled=True)
                )
            for calibration in calibrations:
                key = (precision, calibration)
                run = train_model(beats, labels, val_beats, val_labels, config, train_configs[key])
                epochs[key].append(run.history[1]["seconds"])
    peak = max(peaks)
    params = sum(p.numel() for p in BeatCNN(config).parameters())

    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"model channels {list(config.channels)} hidden {list(config.hidden)}: {params} params")
    print(f"samples {args.samples} in {n_batches} batches of {args.batch_size}")
    print(f"matmul peak (float32)           {peak / 1e9:10.1f} GFLOP/s")
    print(f"FLOPs per training sample       {flops / args.batch_size / 1e6:10.2f} MFLOP")
    scaled = f"  (train.bn_calibration_beats at an epoch of {args.epoch_beats} beats)"
    scaled = scaled if scaling else ""
    print(f"BN calibration beats per epoch  {args.bn_calibration_beats:10d}{scaled}")
    reference = min(epochs[(args.precisions[0], args.bn_calibration_beats)])
    for precision in args.precisions:
        epoch = min(epochs[(precision, args.bn_calibration_beats)])
        uncalibrated, bare = min(epochs[(precision, 0)]), min(bares[precision])
        print(f"--- precision {precision}")
        print(f"training samples/s (train_model){args.samples / epoch:10.0f}")
        print(f"training samples/s (bare loop)  {args.samples / bare:10.0f}")
        print(f"achieved / matmul FLOP/s        {total_flops / epoch / peak:10.3f}")
        print(f"epoch / bare loop time          {epoch / bare:10.3f}  (target <= 1.1)")
        print(f"  without BN calibration        {uncalibrated / bare:10.3f}")
        print(f"speed-up over {args.precisions[0]:<18}{reference / epoch:10.3f}")
        if args.compile:
            print(
                f"torch.compile bare / bare loop  {bare / min(compiled[precision]):10.3f}  (speed)"
            )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
