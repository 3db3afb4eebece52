"""Which rate the premature-beat decision compares a beat with, measured by cross-validation
over DS1.

The shipped decision (ecgbeats.prematurity) reads a beat's previous interval relative to the
mean of the ten intervals around it (``local``), and that mean relative to the record's median
interval (``record``). Where premature beats are the majority of a rhythm, both rates are set by
the premature beats themselves, and the beats stop looking early. A rate that premature beats
do not set (the longer intervals around the beat: an upper percentile or the maximum of a
window) would not have that weakness. This script measures such reference rates on DS1 alone.

Every candidate replaces the ``local`` (and, in one row, the ``record``) RR feature by another
rate computed from each DS1 record's annotated R peaks (``--data-dir``), and the library's
decision is fitted and applied exactly as prematurity_cv.py does (its ``fold_decisions``: each
fold decided by a decision fitted on the folds that would train its model, ablate_inter.py's
folds). Only the timing decision is scored: every true normal or premature DS1 beat is given
a conducted-beat probability of 1, so the rows compare the references without a network
(prematurity_cv.py adds the network). Rows with and without the fibrillation gate. The shipped
reference must reproduce the dataset's own ``local`` feature, or the script stops. The split's
test part (DS2) is never read.

    python benchmarks/timing_reference_cv.py --results results --data-dir PATH [--folds 5]
        [--out TSV]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ablate_inter import append_row
from prematurity_cv import ds1_rows, fold_decisions
from sklearn.metrics import f1_score, precision_score, recall_score

from ecgbeats.records import read_beat_annotations, read_header
from ecgbeats.resampling import TARGET_FS
from ecgbeats.rhythm import LOCAL_INTERVALS, RR_FEATURES, clipped_intervals

#: How each window's intervals become one reference rate.
SUMMARIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda window: np.nanmean(window, axis=1),
    "median": lambda window: np.nanmedian(window, axis=1),
    "p75": lambda window: np.nanpercentile(window, 75, axis=1),
    "p90": lambda window: np.nanpercentile(window, 90, axis=1),
    "max": lambda window: np.nanmax(window, axis=1),
}

#: The candidates: (summary, intervals in the window, the record's rate). The first is the
#: shipped decision's (the `local` and `record` RR features).
CANDIDATES: tuple[tuple[str, int, str], ...] = (
    ("mean", LOCAL_INTERVALS, "median"),
    ("median", LOCAL_INTERVALS, "median"),
    ("p75", LOCAL_INTERVALS, "median"),
    ("p90", LOCAL_INTERVALS, "median"),
    ("max", LOCAL_INTERVALS, "median"),
    ("mean", 40, "median"),
    ("p90", 40, "median"),
    ("max", 40, "median"),
    ("mean", LOCAL_INTERVALS, "mean"),
)


def window_of_intervals(gaps: np.ndarray, width: int) -> np.ndarray:
    """Per beat (len(gaps) + 1, width): the width / 2 intervals before it and as many after
    (beat i lies between interval i - 1 and interval i, as ecgbeats.rhythm's local window), NaN
    where the record has none."""
    half = width // 2
    padded = np.concatenate([np.full(half, np.nan), gaps, np.full(half, np.nan)])
    return padded[np.arange(gaps.size + 1)[:, None] + np.arange(2 * half)[None, :]]


def reference_rates(samples: np.ndarray, fs: float, summary: str, width: int) -> np.ndarray:
    """Per beat at R peaks `samples` (sorted, at `fs` Hz): `summary` of its window of `width`
    intervals, clipped as the RR features clip them."""
    return SUMMARIES[summary](window_of_intervals(clipped_intervals(samples, fs), width))


def record_rate(samples: np.ndarray, fs: float, summary: str) -> float:
    """The record's rate: the median (as the `record` RR feature) or the mean interval."""
    gaps = clipped_intervals(samples, fs)
    return float(np.median(gaps) if summary == "median" else np.mean(gaps))


def candidate_features(
    rr_features: np.ndarray,
    records: np.ndarray,
    samples: np.ndarray,
    peaks: dict[str, np.ndarray],
    candidate: tuple[str, int, str],
) -> np.ndarray:
    """The beats' RR features with `local` and `record` replaced by the candidate's rates,
    computed from each record's R peaks `peaks` (at TARGET_FS, holding every beat's sample)."""
    summary, width, record_summary = candidate
    changed = np.array(rr_features, dtype=np.float64)
    local, record = RR_FEATURES.index("local"), RR_FEATURES.index("record")
    for name in np.unique(records):
        rows = np.flatnonzero(records == name)
        found = peaks[name]
        position = np.searchsorted(found, samples[rows])
        position = np.clip(position, 0, found.size - 1)
        if not np.array_equal(found[position], samples[rows]):
            raise SystemExit(f"record {name}: the dataset's beats are not among its annotations")
        changed[rows, local] = reference_rates(found, TARGET_FS, summary, width)[position]
        changed[rows, record] = record_rate(found, TARGET_FS, record_summary)
    return changed


def annotated_peaks(data_dir: Path, records: list[str]) -> dict[str, np.ndarray]:
    """Every annotated beat's sample, at TARGET_FS, of each record in `data_dir`."""
    peaks = {}
    for name in records:
        path = data_dir / name
        fs = float(read_header(path).fs)
        peaks[name], _ = read_beat_annotations(path, "atr", source_fs=fs, target_fs=TARGET_FS)
    return peaks


def fold_f1(
    is_premature: np.ndarray, called: np.ndarray, fold_of: np.ndarray, k: int
) -> np.ndarray:
    """The premature class's F1 in each fold (k,)."""
    return np.array(
        [
            f1_score(is_premature[fold_of == f], called[fold_of == f], zero_division=0)
            for f in range(k)
        ]
    )


def timing_scores(
    is_premature: np.ndarray, called: np.ndarray, fold_of: np.ndarray, shipped_folds: np.ndarray
) -> dict[str, float]:
    """Pooled F1, Se and +P of the premature class, and its F1 per fold against the shipped
    reference's (`shipped_folds`): the mean and sd over the folds of the paired difference."""
    difference = fold_f1(is_premature, called, fold_of, shipped_folds.size) - shipped_folds
    return {
        "f1": f1_score(is_premature, called, zero_division=0),
        "se": recall_score(is_premature, called, zero_division=0),
        "ppv": precision_score(is_premature, called, zero_division=0),
        "paired_mean": float(difference.mean()),
        "paired_sd": float(difference.std(ddof=1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--task", default="aami")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5, help="ablate_inter.py's --folds")
    parser.add_argument("--normal", default="N")
    parser.add_argument("--premature", default="S")
    parser.add_argument("--fibrillation", nargs="+", default=["(AFIB", "(AFL"])
    parser.add_argument("--out", type=Path, help="append the rows to this TSV")
    args = parser.parse_args()
    if args.folds < 3:
        parser.error("--folds must be at least 3, as in ablate_inter.py")
    data, ds1, names, position = ds1_rows(args.results, args.task, args.folds)
    records = data["records"].astype(str)[ds1]
    labels = data["labels"][ds1]
    normal, premature = names.index(args.normal), names.index(args.premature)
    conducted = np.isin(labels, [normal, premature])
    records, labels = records[conducted], labels[conducted]
    samples = data["samples"][ds1][conducted]
    rr_features = data["rr_features"][ds1][conducted]
    in_fibrillation = np.isin(data["rhythms"][ds1][conducted], args.fibrillation)
    fold_of = np.array([position[record] for record in records])
    peaks = annotated_peaks(args.data_dir, sorted(set(records)))
    features_of = [
        candidate_features(rr_features, records, samples, peaks, candidate)
        for candidate in CANDIDATES
    ]
    if not np.allclose(features_of[0], rr_features, rtol=1e-5, atol=1e-6, equal_nan=True):
        raise SystemExit(
            f"the annotations in {args.data_dir} do not give the dataset's RR features: "
            "not the records the dataset was made from"
        )
    # Conducted beats only, each certainly conducted: the timing decision alone tells N from S.
    probabilities = np.zeros((labels.size, len(names)))
    probabilities[:, normal] = 1.0
    is_premature = labels == premature
    shipped_folds: dict[bool, np.ndarray] = {}
    for candidate, features in zip(CANDIDATES, features_of, strict=True):
        summary, width, record_summary = candidate
        for gate in (None, in_fibrillation):
            decided = fold_decisions(
                probabilities, features, labels, fold_of, args.folds, normal, premature, gate
            )
            called = decided.argmax(axis=1) == premature
            # The first candidate is the shipped reference: every row is paired with it.
            shipped = shipped_folds.setdefault(
                gate is not None, fold_f1(is_premature, called, fold_of, args.folds)
            )
            row = {
                "reference": f"{summary} of {width} intervals",
                "record": record_summary,
                "gate": gate is not None,
                **timing_scores(is_premature, called, fold_of, shipped),
            }
            if args.out:
                append_row(args.out, row)
            else:
                print(
                    f"{row['reference']:22s} record {record_summary:6s} gate {row['gate']!s:5s} "
                    f"S F1 {row['f1']:.3f} Se {row['se']:.3f} +P {row['ppv']:.3f}, per fold "
                    f"{row['paired_mean']:+.3f} +- {row['paired_sd']:.3f} against the shipped",
                    flush=True,
                )


if __name__ == "__main__":
    main()
