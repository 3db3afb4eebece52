"""How good the R-peak detector is: beat matching (AAMI EC57), Se and +P per record and gross."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from wfdb import processing

# AAMI EC57 matching window: a detection within 150 ms of a reference beat is a true positive.
MATCH_WINDOW_S = 0.150


def match_window(fs: float) -> int:
    """The matching window in samples at `fs`."""
    return int(round(MATCH_WINDOW_S * fs))


def match_beats(
    reference: np.ndarray, detected: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matches within `window` samples: (reference indices, detected indices).

    Uses wfdb's Comparitor (the matching of its benchmark) on beat annotations only.
    """
    reference = np.asarray(reference, dtype=np.int64)
    detected = np.asarray(detected, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    if reference.size == 0 or detected.size == 0:
        return empty, empty
    comparitor = processing.Comparitor(reference, detected, int(window))
    comparitor.compare()
    matches = np.asarray(comparitor.matching_sample_nums, dtype=np.int64)
    reference_index = np.flatnonzero(matches >= 0)
    return reference_index, matches[reference_index]


def detection_counts(
    reference: np.ndarray, detected: np.ndarray, window: int
) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of `detected` against `reference`."""
    reference_index, _ = match_beats(reference, detected, window)
    tp = int(reference_index.size)
    return tp, int(len(detected)) - tp, int(len(reference)) - tp


def sensitivity_ppv(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Sensitivity TP/(TP+FN) and positive predictivity TP/(TP+FP); NaN when undefined."""
    se = tp / (tp + fn) if tp + fn else float("nan")
    ppv = tp / (tp + fp) if tp + fp else float("nan")
    return se, ppv


def detector_tables(
    records: Sequence[str], n_reference: np.ndarray, n_detected: np.ndarray, n_matched: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-record and gross (beats pooled over records, as AAMI EC57) Se and +P tables."""
    tp = np.asarray(n_matched, dtype=np.int64)
    fp = np.asarray(n_detected, dtype=np.int64) - tp
    fn = np.asarray(n_reference, dtype=np.int64) - tp
    per_record = pd.DataFrame({"record": list(records), "reference_beats": n_reference})
    per_record["detections"] = n_detected
    per_record["tp"], per_record["fp"], per_record["fn"] = tp, fp, fn
    rates = [sensitivity_ppv(*counts) for counts in zip(tp, fp, fn, strict=True)]
    per_record["sensitivity"] = [se for se, _ in rates]
    per_record["positive_predictivity"] = [ppv for _, ppv in rates]
    se, ppv = sensitivity_ppv(int(tp.sum()), int(fp.sum()), int(fn.sum()))
    gross = pd.DataFrame(
        {
            "records": [len(records)],
            "reference_beats": [int(np.sum(n_reference))],
            "detections": [int(np.sum(n_detected))],
            "tp": [int(tp.sum())],
            "fp": [int(fp.sum())],
            "fn": [int(fn.sum())],
            "sensitivity": [se],
            "positive_predictivity": [ppv],
            "match_window_s": [MATCH_WINDOW_S],
        }
    )
    return per_record, gross
