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
    denoising: DenoisingOptions,
    window: BeatOptions,
    predict: Callable[[np.ndarray], np.ndarray],
) -> DetectedBeats:
    """Classify a record's beats twice: windows cut at their annotation and at their detection.

    `beat_samples` (sorted) and `at_detection` (from :func:`detections_of_beats`, -1 where
    missed) are positions at TARGET_FS in `recording` (read at TARGET_FS); `predict` maps beats
    (n, window length) to class probabilities (n, classes). Missed beats, and beats whose detector
    window leaves the record, are counted and left out.
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
    # Matches are one to one but may cross: cut the detector windows in detection order.
    order = np.argsort(at_detection[hit], kind="stable")
    at_detections = record_beats(
        recording, at_detection[hit][order], denoising=denoising, window=window
    )
    kept = np.zeros(int(hit.sum()), dtype=bool)
    kept[order] = at_detections.kept
    evaluated = np.flatnonzero(hit)[kept]
    at_annotations = record_beats(
        recording, beat_samples[evaluated], denoising=denoising, window=window
    )
    if at_annotations.samples.size != evaluated.size:
        raise InputError(
            f"record {recording.record}: {evaluated.size - at_annotations.samples.size} "
            "beat(s) whose window leaves the record (the beats do not come from this record)"
        )
    # Detector beats come out in detection order; put them back in the order of the beats.
    back = np.argsort(np.argsort(at_detection[evaluated], kind="stable"))
    return DetectedBeats(
        record=recording.record,
        test_beats=int(beat_samples.size),
        missed=int((~hit).sum()),
        dropped=int((~kept).sum()),
        labels=labels[evaluated],
        offsets=np.abs(at_detection[evaluated] - beat_samples[evaluated]),
        p_annotations=predict(at_annotations.beats),
        p_detector=predict(at_detections.beats)[back],
    )


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
