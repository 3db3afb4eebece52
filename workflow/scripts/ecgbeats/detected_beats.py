"""The classifier's test metrics when the beats are placed by the R-peak detector instead of the
annotations: which detection belongs to which test beat, and the beats cut at the detections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.inference import record_beats
from ecgbeats.metrics import classification_table
from ecgbeats.records import Recording


def detections_of_beats(
    beat_samples: np.ndarray,
    reference: np.ndarray,
    detected: np.ndarray,
    reference_index: np.ndarray,
    detected_index: np.ndarray,
) -> np.ndarray:
    """Per beat (positions among the sorted `reference`): its matched detection, -1 if missed.

    `reference_index` and `detected_index` are the matched pairs of :func:`match_beats`.
    """
    beat_samples = np.asarray(beat_samples, dtype=np.int64)
    reference = np.asarray(reference, dtype=np.int64)
    partner = np.full(reference.size, -1, dtype=np.int64)
    partner[np.asarray(reference_index, dtype=np.int64)] = np.asarray(detected, dtype=np.int64)[
        np.asarray(detected_index, dtype=np.int64)
    ]
    if beat_samples.size == 0:
        return np.empty(0, dtype=np.int64)
    position = np.minimum(np.searchsorted(reference, beat_samples), max(reference.size - 1, 0))
    if reference.size == 0 or not np.array_equal(reference[position], beat_samples):
        raise InputError("the beats are not among the reference beats of the detections")
    return partner[position]


@dataclass(frozen=True)
class DetectedBeats:
    """Test beats of one record classified around their annotation and around their detection.

    Arrays hold the evaluated beats (matched to a detection whose window fits in the record),
    in the order of the beats given.
    """

    record: str
    test_beats: int  # beats given
    missed: int  # beats no detection was matched to
    dropped: int  # matched, but the window around the detection leaves the record
    labels: np.ndarray  # int (evaluated,) true labels
    offsets: np.ndarray  # int (evaluated,) |detection - annotation| in samples
    p_annotations: np.ndarray  # float (evaluated, classes): windows cut at the annotations
    p_detector: np.ndarray  # float (evaluated, classes): windows cut at the detections

    def row(self) -> dict[str, object]:
        """The record's line of the per-record table."""
        truth = self.labels
        return {
            "record": self.record,
            "test_beats": self.test_beats,
            "missed_by_detector": self.missed,
            "dropped_at_edges": self.dropped,
            "evaluated": int(truth.size),
            "median_offset_samples": float(np.median(self.offsets)) if truth.size else np.nan,
            "accuracy_annotations": _accuracy(self.p_annotations, truth),
            "accuracy_detector": _accuracy(self.p_detector, truth),
        }


def _accuracy(probabilities: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(probabilities.argmax(axis=1) == truth)) if truth.size else np.nan


def classify_at_detections(
    recording: Recording,
    beat_samples: np.ndarray,
    labels: np.ndarray,
    at_detection: np.ndarray,
    *,
    reference: np.ndarray,
    detected: np.ndarray,
    denoising: DenoisingOptions,
    window: BeatOptions,
    predict: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> DetectedBeats:
    """Classify a record's beats twice: windows cut at their annotation and at their detection.

    `beat_samples` (sorted) and `at_detection` (from :func:`detections_of_beats`, -1 where
    missed) are positions at TARGET_FS in `recording` (read at TARGET_FS). The beats are cut
    among all the record's annotated beats (`reference`) and all its detections (`detected`), so
    that each beat's RR features are those of its true neighbours, as in training and in
    classification. `predict` maps beats (n, window length), their RR features and the
    recording's median beat to class probabilities (n, classes). Missed beats, and beats whose
    detector window leaves the record, are counted and left out.
    """
    beat_samples = np.asarray(beat_samples, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    at_detection = np.asarray(at_detection, dtype=np.int64)
    hit = at_detection >= 0
    if not hit.any():
        return DetectedBeats(
            record=recording.record,
            test_beats=int(beat_samples.size),
            missed=int(beat_samples.size),
            dropped=0,
            labels=np.empty(0, dtype=np.int64),
            offsets=np.empty(0, dtype=np.int64),
            p_annotations=np.empty((0, 0)),
            p_detector=np.empty((0, 0)),
        )
    by_detector = record_beats(recording, detected, denoising=denoising, window=window)
    by_annotation = record_beats(recording, reference, denoising=denoising, window=window)
    detector_row = _rows_at(by_detector.target_samples, at_detection[hit])
    kept = detector_row >= 0
    evaluated = np.flatnonzero(hit)[kept]
    annotation_row = _rows_at(by_annotation.target_samples, beat_samples[evaluated])
    if np.any(annotation_row < 0):
        raise InputError(
            f"record {recording.record}: {int(np.sum(annotation_row < 0))} beat(s) not among its "
            "annotated beats with a full window (the beats do not come from this record)"
        )
    detector_row = detector_row[kept]
    return DetectedBeats(
        record=recording.record,
        test_beats=int(beat_samples.size),
        missed=int((~hit).sum()),
        dropped=int((~kept).sum()),
        labels=labels[evaluated],
        offsets=np.abs(at_detection[evaluated] - beat_samples[evaluated]),
        p_annotations=predict(
            by_annotation.beats[annotation_row],
            by_annotation.rr_features[annotation_row],
            by_annotation.median_beat,
        ),
        p_detector=predict(
            by_detector.beats[detector_row],
            by_detector.rr_features[detector_row],
            by_detector.median_beat,
        ),
    )


def _rows_at(positions: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row of each of `wanted` among the sorted `positions`; -1 where it is not there."""
    row = np.searchsorted(positions, wanted)
    inside = row < positions.size
    found = np.zeros(wanted.size, dtype=bool)
    found[inside] = positions[row[inside]] == wanted[inside]
    return np.where(found, row, -1)


def detected_beats_tables(
    results: Sequence[DetectedBeats], class_names: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, per-record table) of beats classified at annotations and at detections.

    Metrics: the per-class table of :func:`ecgbeats.metrics.classification_table` twice, rows
    with ``positions`` = ``annotations`` then ``detector``, over the evaluated beats of all
    records.
    """
    k = len(class_names)
    y = np.concatenate([r.labels for r in results])
    scores = {
        "annotations": [r.p_annotations.reshape(-1, k) for r in results],
        "detector": [r.p_detector.reshape(-1, k) for r in results],
    }
    tables = []
    for positions, probabilities in scores.items():
        table = classification_table(y, np.concatenate(probabilities), class_names)
        table.insert(0, "positions", positions)
        tables.append(table)
    per_record = pd.DataFrame([r.row() for r in results])
    return pd.concat(tables, ignore_index=True), per_record
