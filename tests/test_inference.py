"""Beats of a new recording, the prediction table and the strip window (ecgbeats.inference)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats.beats import BeatOptions, beats_from_signal
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection_metrics import detection_counts
from ecgbeats.errors import InputError
from ecgbeats.inference import prediction_table, record_beats, strip_window
from ecgbeats.records import Recording, read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS, convert_positions
from ecgbeats.rpeaks import DetectorOptions
from synthetic_ecg import write_record, write_resampled_record

# The workflow's defaults (config.yaml: denoise, beats, classify.detector).
DENOISING = DenoisingOptions(
    wavelet="db5", level=9, remove_approximation=True, remove_details=(1, 2), threshold="none"
)
BEATS = BeatOptions(before=150, after=150, normalisation="zscore")
DETECTOR = DetectorOptions(search_radius_s=0.1, smooth_window_s=0.4, method="xqrs")
OPTIONS = dict(denoising=DENOISING, window=BEATS)


def _read(directory, name):
    """A record read the way every stage reads it: lead and beats at TARGET_FS."""
    recording = read_recording(directory / name, ["MLII"], target_fs=TARGET_FS)
    peaks, symbols = read_annotations_of(recording, directory / name)
    return recording, peaks, symbols


def _at_360(name: str, signal: np.ndarray) -> Recording:
    return Recording(record=name, signal=signal, fs=TARGET_FS, lead="MLII", source_fs=TARGET_FS)


def test_record_beats_uses_annotations_or_detector(tmp_path):
    # XQRS's matched filter is tuned to real QRS complexes; the synthetic wide (L, R) and
    # negative (V) Gaussian complexes fool it, so the mechanics test uses narrow beats.
    peaks = write_record(tmp_path, "r250", ["N", "N", "A"] * 12, fs=250, non_beat=False)
    recording, converted, _ = _read(tmp_path, "r250")
    assert recording.fs == TARGET_FS and recording.source_fs == 250
    annotated = record_beats(recording, converted, **OPTIONS)
    assert annotated.source == "annotations"
    assert annotated.beats.shape[1] == 300 and annotated.beats.dtype == np.float32
    # Positions come back at the recording's own rate: the annotated ones, minus edge drops.
    assert set(annotated.samples.tolist()) <= set(peaks.tolist())
    assert annotated.samples.size >= peaks.size - 2
    assert annotated.kept.size == converted.size
    assert annotated.kept.sum() == annotated.samples.size
    np.testing.assert_array_equal(
        annotated.target_samples, convert_positions(annotated.samples, 250, TARGET_FS)
    )
    detected = record_beats(recording, None, **OPTIONS, detector=DETECTOR)
    assert detected.source == "detector"
    tp, fp, fn = detection_counts(annotated.samples, detected.samples, round(0.15 * 250))
    assert fp <= 1 and fn <= 1 and tp >= annotated.samples.size - 1
    with pytest.raises(ValueError, match="give the peaks or the detector options"):
        record_beats(recording, None, **OPTIONS)


def test_record_beats_errors_name_the_record():
    with pytest.raises(InputError, match="record short: too short for one beat"):
        record_beats(_at_360("short", np.zeros(200)), None, **OPTIONS, detector=DETECTOR)
    with pytest.raises(InputError, match="record flat: no complete beat window"):
        record_beats(_at_360("flat", np.zeros(20000)), np.array([10, 19990]), **OPTIONS)
    with pytest.raises(InputError, match="record flat: beat positions are not sorted"):
        record_beats(_at_360("flat", np.zeros(20000)), np.array([900, 400]), **OPTIONS)


def test_classification_refuses_a_recording_not_read_at_the_target_rate(tmp_path):
    write_record(tmp_path, "r250", ["N"] * 8, fs=250)
    recording = read_recording(tmp_path / "r250", ["MLII"])
    with pytest.raises(ValueError, match="record_beats: record r250 is at 250 Hz.*target_fs"):
        record_beats(recording, None, **OPTIONS, detector=DETECTOR)


@pytest.mark.parametrize("fs", [360, 250, 128])
def test_preprocess_and_classification_paths_give_the_same_beats(tmp_path, fs):
    truth, _, _ = write_resampled_record(tmp_path, f"r{fs}", ["N", "N", "A"] * 12, fs)
    # Training (preprocess_record): annotated beats cut by beats_from_signal.
    recording, samples, _ = _read(tmp_path, f"r{fs}")
    training = beats_from_signal(
        recording.signal,
        recording.fs,
        samples,
        denoising=DENOISING,
        window=BEATS,
    )
    # Classification (classify_record): the same record's annotations.
    classified = record_beats(recording, samples, **OPTIONS)
    assert training.beats.shape[0] >= truth.size - 2
    assert training.beats.tobytes() == classified.beats.tobytes()
    np.testing.assert_array_equal(training.samples, classified.target_samples)
    # Back at the record's own rate, the positions are its annotations.
    assert set(classified.samples.tolist()) <= set(truth.tolist())
    # The detector, on the same resampled lead, finds the same beats.
    detected = record_beats(recording, None, **OPTIONS, detector=DETECTOR)
    tp, fp, fn = detection_counts(training.samples, detected.target_samples, 54)
    assert fp <= 1 and fn <= 1


def test_prediction_table_rows_classes_and_symbols():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3]])
    table = prediction_table(
        np.array([100, 350, 600]), 250.0, probabilities, ["NOR", "PAC", "PVC"], ["N", "A", "V"]
    )
    assert list(table.columns) == [
        "sample",
        "time_s",
        "class",
        "symbol",
        "p_NOR",
        "p_PAC",
        "p_PVC",
    ]
    assert table["time_s"].tolist() == [0.4, 1.4, 2.4]
    assert table["class"].tolist() == ["NOR", "PVC", "PAC"]
    assert table["symbol"].tolist() == ["N", "V", "A"]
    np.testing.assert_allclose(table[["p_NOR", "p_PAC", "p_PVC"]], probabilities)
    with pytest.raises(InputError, match=r"probabilities shaped \(3, 3\), expected \(2, 3\)"):
        prediction_table(np.array([1, 2]), 250.0, probabilities, ["a", "b", "c"], "NAV")


def test_strip_window_shows_the_asked_seconds_and_the_beats_inside():
    # 20 s at 10 Hz; beats every 1.5 s.
    beat_times = np.arange(0.5, 20, 1.5)
    window = strip_window(200, 10.0, beat_times, start_s=4.0, seconds=5.0)
    assert not window.moved
    assert np.flatnonzero(window.shown).tolist() == list(range(40, 90))
    np.testing.assert_allclose(window.time_s, np.arange(40, 90) / 10.0)
    # Beats from 4.0 s to 8.9 s (the last shown sample): 5.0, 6.5, 8.0.
    assert beat_times[window.beats].tolist() == [5.0, 6.5, 8.0]


def test_strip_window_after_the_end_shows_the_start():
    beat_times = np.array([0.5, 1.9, 2.0, 3.5])
    window = strip_window(50, 10.0, beat_times, start_s=30.0, seconds=2.0)
    assert window.moved
    assert np.flatnonzero(window.shown).tolist() == list(range(20))
    assert beat_times[window.beats].tolist() == [0.5, 1.9]
    empty = strip_window(0, 10.0, beat_times, start_s=0.0, seconds=2.0)
    assert empty.moved and empty.time_s.size == 0 and not empty.beats.any()
