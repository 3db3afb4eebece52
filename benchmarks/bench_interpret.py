"""Benchmark: the UMAP and SHAP stages on a test set the size of MIT-BIH's (intra-patient, six).

    nice -n 10 python benchmarks/bench_interpret.py [--test-beats 33000] [--classes 6]
        [--max-points 10000] [--background 100] [--profile-beats 30] [--misclassified 3]

Builds a synthetic test set with MIT-BIH's class proportions (beat shapes as in
tests/synthetic_ecg.py, plus noise), a model of config.yaml's CNN shape briefly trained on it so
that predictions and confidences vary, then times what the rules embed_umap and explain_shap do
(package calls and figures, no file I/O) on 2 torch threads. Defaults are config.yaml's. Targets
on 2 CPU cores: UMAP stage within 60 s, SHAP stage (grid and profiles) within 120 s. Prints times
and ratios to target.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ecgbeats-numba-cache"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from ecgbeats import embedding, explanation, plots  # noqa: E402
from ecgbeats.model import BeatCNN, CNNConfig, predict_proba  # noqa: E402
from ecgbeats.synthetic import beat_waveform  # noqa: E402

# The workflow's CNN shape (config.yaml's model section).
CONFIG = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
# MIT-BIH beats per class of the ten-class task (NOR PB LBBB RBBB PAC PVC PFHB NEB AAPB VFB).
MITDB_COUNTS = (75011, 7028, 8071, 7255, 2546, 7129, 982, 229, 150, 802)
SYMBOLS = ("N", "/", "L", "R", "A", "V", "f", "j", "a", "F")
# Per symbol: P amplitude, QRS amplitude, QRS width in s, T amplitude (tests/synthetic_ecg.py).
UMAP_TARGET_S = 60.0
SHAP_TARGET_S = 120.0


def synthetic_set(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` z-scored beats (n, 300) with MIT-BIH's class proportions among the first `k` classes."""
    rng = np.random.default_rng(seed)
    weights = np.asarray(MITDB_COUNTS[:k], dtype=float)
    labels = rng.choice(k, size=n, p=weights / weights.sum())
    # R peak of the synthetic waveform at sample 108; MIT-BIH windows have it at 150.
    templates = np.stack([np.pad(beat_waveform(s), (42, 0))[:300] for s in SYMBOLS[:k]])
    beats = templates[labels] * rng.uniform(0.7, 1.3, (n, 1)) + rng.normal(0, 0.08, (n, 300))
    beats = (beats - beats.mean(1, keepdims=True)) / beats.std(1, keepdims=True)
    return beats.astype(np.float32), labels


def quick_model(beats: np.ndarray, labels: np.ndarray, k: int) -> BeatCNN:
    torch.manual_seed(0)
    model = BeatCNN(CNNConfig(n_classes=k, input_length=300, leads=1, **CONFIG["model"]))
    optimiser = torch.optim.Adam(model.parameters(), 3e-3)
    x = torch.from_numpy(beats)
    y = torch.from_numpy(labels)
    # Class weights: without them a few steps only learn the majority class.
    weights = torch.from_numpy(len(labels) / (k * np.bincount(labels, minlength=k).clip(1)))
    for _ in range(40):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y, weight=weights.float()).backward()
        optimiser.step()
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-beats", type=int, default=33000)
    parser.add_argument("--classes", type=int, default=6, choices=range(2, 11))
    parser.add_argument("--max-points", type=int, default=10000)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--profile-beats", type=int, default=30)
    parser.add_argument("--misclassified", type=int, default=3)
    parser.add_argument("--figures", type=Path, help="also save the three figures here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    k = args.classes
    beats, y_true = synthetic_set(args.test_beats, k, seed=1)
    train_beats, train_labels = synthetic_set(3000, k, seed=2)
    model = quick_model(train_beats, train_labels, k)
    probabilities = predict_proba(model, beats)
    y_pred = probabilities.argmax(1)
    names = ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC", "PFHB", "NEB", "AAPB", "VFB"][:k]
    print(f"test beats {len(beats):,}, classes {k}, accuracy {np.mean(y_true == y_pred):.3f}")

    start = time.perf_counter()
    chosen = embedding.cap_points(y_true, args.max_points, seed=0)
    features = embedding.extract_features(model, beats[chosen])
    points = embedding.umap_embedding(features, seed=0)
    embedding.embedding_table(
        points,
        chosen,
        y_true[chosen],
        y_pred[chosen],
        probabilities[chosen],
        names,
        records=np.full(chosen.size, "bench"),
        samples=chosen,
    )
    figures = {"umap": plots.umap_scatter(points, y_true[chosen], y_pred[chosen], names, "bench")}
    umap_s = time.perf_counter() - start

    start = time.perf_counter()
    background = train_beats[explanation.background_positions(len(train_beats), args.background, 0)]
    selection = explanation.representative_beats(y_true, y_pred, probabilities, args.misclassified)
    grid_beats = beats[selection.positions]
    values, expected = explanation.explain(model, background, grid_beats)
    grid_s = time.perf_counter() - start
    ratio, _ = explanation.additivity_error(
        values, explanation.model_outputs(model, grid_beats), expected
    )
    confidence = probabilities[selection.positions, y_pred[selection.positions]]
    figure = plots.shap_grid(
        grid_beats,
        values,
        y_true[selection.positions],
        y_pred[selection.positions],
        confidence,
        selection.roles,
        names,
        150,
        "bench",
    )
    figures["shap_grid"] = figure
    profile = explanation.profile_positions(y_true, args.profile_beats, seed=0)
    profile_values, _ = explanation.explain_own_class(
        model, background, beats[profile], y_true[profile]
    )
    profiles = explanation.class_profiles(profile_values, beats[profile], y_true[profile], k)
    figures["shap_profile"] = plots.shap_profile(*profiles, names, 150, "bench")
    shap_s = time.perf_counter() - start
    for name, each in figures.items():
        if args.figures:
            args.figures.mkdir(parents=True, exist_ok=True)
            each.savefig(args.figures / f"{name}.png", dpi=150)
        plt.close(each)

    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}; 2 cores are targeted")
    print(f"UMAP stage ({chosen.size:,} of {len(beats):,} points): {umap_s:7.1f} s")
    print(f"  ratio to target {UMAP_TARGET_S:.0f} s:  {umap_s / UMAP_TARGET_S:7.2f}  (target <= 1)")
    print(
        f"SHAP stage ({len(grid_beats)} grid beats x {k} outputs, {profile.size} profile beats, "
        f"{len(background)} background): {shap_s:7.1f} s (grid {grid_s:.1f} s)"
    )
    print(f"  ratio to target {SHAP_TARGET_S:.0f} s: {shap_s / SHAP_TARGET_S:7.2f}  (target <= 1)")
    print(f"  DeepSHAP additivity, largest error / tolerance: {ratio:.3g}  (must be <= 1)")


if __name__ == "__main__":
    main()
