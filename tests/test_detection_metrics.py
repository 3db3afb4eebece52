"""Detector matching and Se / +P, and test metrics on detector-placed beats
(ecgbeats.detection_metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detected_beats import (
    classify_at_detections,
    detected_beats_tables,
    detections_of_beats,
)
from ecgbeats.detection_metrics import (
    MATCH_WINDOW_S,
    detection_counts,
    detector_tables,
    match_beats,
    match_window,
    sensitivity_ppv,
)
from ecgbeats.errors import InputError
from ecgbeats.records import Recording
from ecgbeats.resampling import TARGET_FS
from synthetic_ecg import synthesize

# 6 levels: the 6 s record is too short for the workflow's 9.
DENOISING = DenoisingOptions(
    wavelet="db5", level=6, remove_approximation=True, remove_details=(1, 2), threshold="none"
)
BEATS = BeatOptions(before=150, after=150, normalisation="zscore")

# A record of N (label 0) and V (label 1) beats at 360 Hz; its R peaks are REFERENCE.
SYMBOLS = ["N", "V", "N", "N", "V", "N", "N", "V"]
LABELS = np.array([0 if s == "N" else 1 for s in SYMBOLS])
REFERENCE = np.array([162, 352, 732, 1006, 1185, 1586, 1885, 2075])
# The detector: beat 0 found 20 samples early (its window then starts before the record),
# beat 2 missed, an extra detection at 1385 (200 samples from any beat), the others within
# 3 samples.
DETECTED = np.array([142, 355, 1004, 1185, 1385, 1589, 1885, 2073])
# The test part holds every beat but beat 6.
TEST = np.array([0, 1, 2, 3, 4, 5, 7])


def _recording(name: str = "r1") -> Recording:
    signal, peaks = synthesize(SYMBOLS, first_peak_s=0.45)
    np.testing.assert_array_equal(peaks, REFERENCE)
    return Recording(
        record=name, signal=signal[:, 0], fs=TARGET_FS, lead="MLII", source_fs=TARGET_FS
    )


def _by_polarity(beats: np.ndarray, rr_features: np.ndarray, median_beat: np.ndarray) -> np.ndarray:
    """A stand-in model: V (class 1) where the beat's centre (its R peak) is below its mean."""
    assert rr_features.shape[0] == beats.shape[0] and median_beat.shape == beats.shape[1:]
    negative = beats[:, BEATS.before] < 0
    return np.column_stack([~negative, negative]).astype(np.float32)


#: How the tests classify at the detections: no denoising, the window, polarity as model.
AT_DETECTIONS = {
    "reference": REFERENCE,
    "detected": DETECTED,
    "denoising": DENOISING,
    "window": BEATS,
    "predict": _by_polarity,
}
# The detections of the crossed-matches case: beats 1 and 2 each found at the other's peak.
CROSSED = {**AT_DETECTIONS, "detected": np.array([350, 730])}


def _at_detection() -> np.ndarray:
    """The detection matched to each test beat (-1: missed)."""
    reference_index, detected_index = match_beats(REFERENCE, DETECTED, match_window(TARGET_FS))
    return detections_of_beats(
        REFERENCE[TEST], REFERENCE, DETECTED, reference_index, detected_index
    )


def test_match_beats_is_one_to_one_within_the_window():
    reference = np.array([100, 400, 700, 1000])
    # 405 and 410 compete for 400; 760 is 60 samples off (outside 54); 2000 is extra.
    detected = np.array([98, 405, 410, 760, 1003, 2000])
    window = match_window(360.0)
    assert window == round(MATCH_WINDOW_S * 360) == 54
    ref_index, det_index = match_beats(reference, detected, window)
    assert ref_index.tolist() == [0, 1, 3]
    assert det_index.tolist() == [0, 1, 4]
    assert detection_counts(reference, detected, window) == (3, 3, 1)
    assert match_beats(reference, np.array([], dtype=np.int64), window)[0].size == 0
    se, ppv = sensitivity_ppv(3, 3, 1)
    assert se == pytest.approx(0.75) and ppv == pytest.approx(0.5)
    assert np.isnan(sensitivity_ppv(0, 0, 0)[0])


def test_detector_tables_count_a_missed_and_an_extra_beat():
    reference_index, _ = match_beats(REFERENCE, DETECTED, match_window(TARGET_FS))
    assert reference_index.tolist() == [0, 1, 3, 4, 5, 6, 7]
    per_record, gross = detector_tables(
        ["r1", "r2"], np.array([8, 10]), np.array([8, 10]), np.array([reference_index.size, 10])
    )
    assert per_record.to_dict("list") == {
        "record": ["r1", "r2"],
        "reference_beats": [8, 10],
        "detections": [8, 10],
        "tp": [7, 10],
        "fp": [1, 0],
        "fn": [1, 0],
        "sensitivity": [7 / 8, 1.0],
        "positive_predictivity": [7 / 8, 1.0],
    }
    assert gross.to_dict("records") == [
        {
            "records": 2,
            "reference_beats": 18,
            "detections": 18,
            "tp": 17,
            "fp": 1,
            "fn": 1,
            "sensitivity": 17 / 18,
            "positive_predictivity": 17 / 18,
            "match_window_s": 0.15,
        }
    ]


def test_detections_of_beats_gives_each_beat_its_detection_or_minus_one():
    reference_index, detected_index = match_beats(REFERENCE, DETECTED, 54)
    at = detections_of_beats(REFERENCE[TEST], REFERENCE, DETECTED, reference_index, detected_index)
    assert at.tolist() == [142, 355, -1, 1004, 1185, 1589, 2073]
    assert detections_of_beats([], REFERENCE, DETECTED, reference_index, detected_index).size == 0
    with pytest.raises(InputError, match="not among the reference beats"):
        detections_of_beats([455], REFERENCE, DETECTED, reference_index, detected_index)
    with pytest.raises(InputError, match="not among the reference beats"):
        detections_of_beats([455], [], [], [], [])


def test_a_missed_beat_a_dropped_window_and_an_extra_detection_are_counted_exactly():
    at = _at_detection()
    result = classify_at_detections(
        _recording(),
        REFERENCE[TEST],
        LABELS[TEST],
        at,
        **AT_DETECTIONS,
    )
    # Evaluated: beats 1, 3, 4, 5, 7 (beat 0's detector window leaves the record, 2 missed).
    assert result.labels.tolist() == [1, 0, 1, 0, 1]
    assert result.offsets.tolist() == [3, 2, 0, 3, 2]
    assert result.p_annotations.argmax(axis=1).tolist() == [1, 0, 1, 0, 1]
    assert result.p_detector.argmax(axis=1).tolist() == [1, 0, 1, 0, 1]
    assert result.row() == {
        "record": "r1",
        "test_beats": 7,
        "missed_by_detector": 1,
        "dropped_at_edges": 1,
        "evaluated": 5,
        "median_offset_samples": 2.0,
        "accuracy_annotations": 1.0,
        "accuracy_detector": 1.0,
    }


def test_crossed_matches_classify_each_beat_at_its_own_detection():
    # Beat 1 (V) matched to a detection at beat 2 (N) and the other way round: each beat is
    # classified at its own detection, so the detector gets both wrong.
    result = classify_at_detections(
        _recording("r2"),
        REFERENCE[[1, 2]],
        LABELS[[1, 2]],
        np.array([730, 350]),
        **CROSSED,
    )
    assert result.p_annotations.argmax(axis=1).tolist() == [1, 0]
    assert result.p_detector.argmax(axis=1).tolist() == [0, 1]
    row = result.row()
    assert (row["accuracy_annotations"], row["accuracy_detector"]) == (1.0, 0.0)
    assert row["median_offset_samples"] == (378 + 382) / 2


def test_a_record_whose_beats_were_all_missed_is_counted_not_evaluated():
    result = classify_at_detections(
        _recording("r3"),
        REFERENCE[[1, 2]],
        LABELS[[1, 2]],
        np.array([-1, -1]),
        **AT_DETECTIONS,
    )
    row = result.row()
    assert (row["test_beats"], row["missed_by_detector"], row["evaluated"]) == (2, 2, 0)
    assert np.isnan(row["accuracy_detector"]) and np.isnan(row["median_offset_samples"])


def test_detected_beats_tables_pool_the_records():
    at = _at_detection()
    options = AT_DETECTIONS
    results = [
        classify_at_detections(_recording("r1"), REFERENCE[TEST], LABELS[TEST], at, **options),
        classify_at_detections(
            _recording("r2"), REFERENCE[[1, 2]], LABELS[[1, 2]], np.array([730, 350]), **CROSSED
        ),
        classify_at_detections(
            _recording("r3"), REFERENCE[[3]], LABELS[[3]], np.array([-1]), **options
        ),
    ]
    metrics, per_record = detected_beats_tables(results, ["N", "V"])
    assert per_record["record"].tolist() == ["r1", "r2", "r3"]
    assert per_record["test_beats"].tolist() == [7, 2, 1]
    assert per_record["missed_by_detector"].tolist() == [1, 0, 1]
    assert per_record["dropped_at_edges"].tolist() == [1, 0, 0]
    assert per_record["evaluated"].tolist() == [5, 2, 0]
    # Pooled: N 2 + 1 beats, V 3 + 1; the detector got r2's two beats wrong.
    rows = metrics.set_index(["positions", "class"])
    assert metrics["positions"].tolist() == ["annotations"] * 4 + ["detector"] * 4
    for positions in ("annotations", "detector"):
        assert rows.loc[(positions, "N"), "support"] == 3
        assert rows.loc[(positions, "V"), "support"] == 4
    assert rows.loc[("annotations", "N"), "recall"] == 1.0
    assert rows.loc[("annotations", "V"), "recall"] == 1.0
    assert rows.loc[("detector", "N"), "recall"] == pytest.approx(2 / 3)
    assert rows.loc[("detector", "V"), "recall"] == pytest.approx(3 / 4)
