"""Scores over training seeds: mean ± sd across seeds, and 95 % bootstrap intervals over records.

A model's test score varies with its training seed and with which patients happen to be in the
test part. The first is measured by training one model per seed; the second by the percentile
bootstrap over test **records**: a patient's beats are not independent (one record can hold
thousands of beats of one morphology), so resampling beats would give intervals far too narrow.
Each bootstrap replicate draws the test records with replacement, pools their confusion
matrices, scores every seed's model on the same draw and averages over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecgbeats.errors import InputError

#: Per-class scores (Se = recall, +P = precision) and the overall ones, in table order.
CLASS_SCORES = ("sensitivity", "positive_predictivity", "f1")
OVERALL_SCORES = ("accuracy", "macro_f1")


def record_confusions(
    records: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> tuple[list[str], np.ndarray]:
    """Per record (sorted names), the confusion matrix (R, k, k) int64: rows true, columns
    predicted."""
    records = np.asarray(records).astype(str)
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if not records.size == y_true.size == y_pred.size:
        raise InputError("records, y_true and y_pred differ in length")
    names, position = np.unique(records, return_inverse=True)
    flat = (position * n_classes + y_true) * n_classes + y_pred
    counts = np.bincount(flat, minlength=names.size * n_classes * n_classes)
    return names.tolist(), counts.reshape(names.size, n_classes, n_classes)


def confusion_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Scores of confusion matrices (..., k, k): per class (..., k) sensitivity, positive
    predictivity and F1 (0 where undefined, as scikit-learn's zero_division=0), and overall (...)
    accuracy and macro-F1 over the classes with true beats."""
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diagonal(confusion, axis1=-2, axis2=-1)
    true = confusion.sum(axis=-1)
    predicted = confusion.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        sensitivity = np.where(true > 0, hits / true, 0.0)
        ppv = np.where(predicted > 0, hits / predicted, 0.0)
        f1 = np.where(true + predicted > 0, 2 * hits / (true + predicted), 0.0)
        present = true > 0
        macro = np.where(present, f1, 0.0).sum(axis=-1) / present.sum(axis=-1)
        accuracy = hits.sum(axis=-1) / confusion.sum(axis=(-2, -1))
    return {
        "sensitivity": sensitivity,
        "positive_predictivity": ppv,
        "f1": f1,
        "accuracy": accuracy,
        "macro_f1": macro,
    }


def seed_summary(
    confusions: np.ndarray,
    class_names: Sequence[str],
    seeds: Sequence[int],
    replicates: int,
    seed: int,
) -> pd.DataFrame:
    """The table of scores over seeds, from per-seed, per-record confusions (S, R, k, k).

    One row per class and per-class score, then ``all`` rows for accuracy and macro-F1; columns
    class, score, mean and sd over seeds (sd NaN for one seed), ci_low and ci_high (95 %
    percentile bootstrap of the seed mean over `replicates` draws of the R records, seeded by
    `seed`), and one column per seed (``seed_<s>``) with that model's score on all records.
    """
    confusions = np.asarray(confusions, dtype=np.int64)
    if confusions.ndim != 4 or confusions.shape[0] != len(seeds):
        raise InputError(
            f"confusions must be shaped (seeds, records, k, k) for {len(seeds)} seeds, got "
            f"{confusions.shape}"
        )
    k = len(class_names)
    if confusions.shape[2:] != (k, k):
        raise InputError(f"confusion matrices {confusions.shape[2:]} for {k} classes")
    if replicates < 1:
        raise InputError(f"bootstrap replicates must be >= 1, got {replicates}")
    n_records = confusions.shape[1]
    per_seed = confusion_scores(confusions.sum(axis=1))  # (S, k) and (S,)
    draws = np.random.default_rng(seed).integers(0, n_records, size=(replicates, n_records))
    # (B, S, k, k): every seed scored on the same records of each replicate.
    resampled = confusions[:, draws].sum(axis=2).transpose(1, 0, 2, 3)
    boot = {name: values.mean(axis=1) for name, values in confusion_scores(resampled).items()}
    rows = []

    def add_row(label: str, score: str, values: np.ndarray, draws_of: np.ndarray) -> None:
        row = {
            "class": label,
            "score": score,
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if values.size > 1 else np.nan,
            "ci_low": float(np.nanpercentile(draws_of, 2.5)),
            "ci_high": float(np.nanpercentile(draws_of, 97.5)),
        }
        row.update({f"seed_{s}": float(v) for s, v in zip(seeds, values, strict=True)})
        rows.append(row)

    for c, name in enumerate(class_names):
        for score in CLASS_SCORES:
            add_row(str(name), score, per_seed[score][:, c], boot[score][:, c])
    for score in OVERALL_SCORES:
        add_row("all", score, per_seed[score], boot[score])
    return pd.DataFrame(rows)
