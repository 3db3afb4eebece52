"""R-peak detection and matching, beats of new recordings, annotations (ecgbeats.detection)."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecgbeats.beats import beats_from_signal
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection import (
    MATCH_WINDOW_S,
    annotation_symbols,
    detect_record_peaks,
    detection_counts,
    match_beats,
    record_beats,
    sensitivity_ppv,
    write_annotations,
)
from ecgbeats.errors import InputError
from ecgbeats.records import Recording, read_beat_annotations, read_recording
from ecgbeats.resampling import TARGET_FS, convert_positions
from synthetic_ecg import write_record, write_resampled_record

BEAT_OPTIONS = dict(denoising=DenoisingOptions(), before=150, after=150, normalisation="zscore")


def _read(directory, name):
    """A record read the way every script reads it: lead and beats at TARGET_FS."""
    recording = read_recording(directory / name, ["MLII"], target_fs=TARGET_FS)
    peaks, symbols = read_beat_annotations(
        directory / name,
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    return recording, peaks, symbols


def _at_360(name: str, signal: np.ndarray) -> Recording:
    return Recording(record=name, signal=signal, fs=TARGET_FS, lead="MLII", source_fs=TARGET_FS)


def test_match_beats_is_one_to_one_within_the_window():
    reference = np.array([100, 400, 700, 1000])
    # 405 and 410 compete for 400; 760 is 60 samples off (outside 54); 2000 is extra.
    detected = np.array([98, 405, 410, 760, 1003, 2000])
    window = round(MATCH_WINDOW_S * 360)
    ref_index, det_index = match_beats(reference, detected, window)
    assert ref_index.tolist() == [0, 1, 3]
    assert det_index.tolist() == [0, 1, 4]
    assert detection_counts(reference, detected, window) == (3, 3, 1)
    assert match_beats(reference, np.array([], dtype=np.int64), window)[0].size == 0
    se, ppv = sensitivity_ppv(3, 3, 1)
    assert se == pytest.approx(0.75) and ppv == pytest.approx(0.5)
    assert np.isnan(sensitivity_ppv(0, 0, 0)[0])


def test_annotation_symbols_first_symbol_or_override():
    aami = {"N": "N", "L": "N", "A": "S", "a": "S", "V": "V", "F": "F", "/": "Q", "Q": "Q"}
    names = ["N", "S", "V", "F", "Q"]
    assert annotation_symbols(names, aami) == ["N", "A", "V", "F", "/"]
    assert annotation_symbols(names, aami, {"Q": "Q"}) == ["N", "A", "V", "F", "Q"]
    with pytest.raises(InputError, match="annotation_symbols.aami.*unknown class"):
        annotation_symbols(names, aami, {"X": "N"}, task="aami")
    with pytest.raises(InputError, match="not a MIT-BIH beat symbol"):
        annotation_symbols(names, aami, {"Q": "+"}, task="aami")


def test_annotations_round_trip_through_rdann(tmp_path):
    samples = np.array([10, 300, 610, 900])
    path = write_annotations(tmp_path / "rec", samples, ["N", "V", "A", "/"], 250.0, "pred")
    assert path.name == "rec.pred"
    annotation = wfdb.rdann(str(tmp_path / "rec"), "pred")
    assert annotation.sample.tolist() == samples.tolist()
    assert annotation.symbol == ["N", "V", "A", "/"]
    assert annotation.fs == 250


def test_record_beats_uses_annotations_or_detector(tmp_path):
    # XQRS's matched filter is tuned to real QRS complexes; the synthetic wide (L, R) and
    # negative (V) Gaussian complexes fool it, so the mechanics test uses narrow beats.
    peaks = write_record(tmp_path, "r250", ["N", "N", "A"] * 12, fs=250, non_beat=False)
    recording, converted, _ = _read(tmp_path, "r250")
    assert recording.fs == TARGET_FS and recording.source_fs == 250
    annotated = record_beats(recording, converted, **BEAT_OPTIONS)
    assert annotated.source == "annotations"
    assert annotated.beats.shape[1] == 300 and annotated.beats.dtype == np.float32
    # Positions come back at the recording's own rate: the annotated ones, minus edge drops.
    assert set(annotated.samples.tolist()) <= set(peaks.tolist())
    assert annotated.samples.size >= peaks.size - 2
    np.testing.assert_array_equal(
        annotated.target_samples, convert_positions(annotated.samples, 250, TARGET_FS)
    )
    detected = record_beats(recording, None, **BEAT_OPTIONS)
    assert detected.source == "detector"
    tp, fp, fn = detection_counts(annotated.samples, detected.samples, round(0.15 * 250))
    assert fp <= 1 and fn <= 1 and tp >= annotated.samples.size - 1


def test_record_beats_errors_name_the_record():
    with pytest.raises(InputError, match="record short: too short for one beat"):
        record_beats(_at_360("short", np.zeros(200)), None, **BEAT_OPTIONS)
    with pytest.raises(InputError, match="record flat: no complete beat window"):
        record_beats(_at_360("flat", np.zeros(20000)), np.array([10, 19990]), **BEAT_OPTIONS)


def test_classification_refuses_a_recording_not_read_at_the_target_rate(tmp_path):
    write_record(tmp_path, "r250", ["N"] * 8, fs=250)
    recording = read_recording(tmp_path / "r250", ["MLII"])
    with pytest.raises(ValueError, match="record_beats: record r250 is at 250 Hz.*target_fs"):
        record_beats(recording, None, **BEAT_OPTIONS)
    with pytest.raises(ValueError, match="detect_record_peaks: record r250 is at 250 Hz"):
        detect_record_peaks(recording, denoising=DenoisingOptions())


@pytest.mark.parametrize("fs", [360, 250, 128])
def test_preprocess_and_classification_paths_give_the_same_beats(tmp_path, fs):
    truth, _, _ = write_resampled_record(tmp_path, f"r{fs}", ["N", "N", "A"] * 12, fs)
    # Training (workflow/scripts/preprocess_record.py): annotated beats cut by beats_from_signal.
    recording, samples, _ = _read(tmp_path, f"r{fs}")
    training = beats_from_signal(recording.signal, recording.fs, samples, **BEAT_OPTIONS)
    # Classification (workflow/scripts/classify_record.py): the same record's annotations.
    new = read_recording(tmp_path / f"r{fs}", ["MLII"], target_fs=TARGET_FS)
    peaks, _ = read_beat_annotations(
        tmp_path / f"r{fs}", length=new.signal.size, source_fs=new.source_fs, target_fs=new.fs
    )
    classified = record_beats(new, peaks, **BEAT_OPTIONS)
    assert training.beats.shape[0] >= truth.size - 2
    assert training.beats.tobytes() == classified.beats.tobytes()
    np.testing.assert_array_equal(training.samples, classified.target_samples)
    # Back at the record's own rate, the positions are its annotations.
    assert set(classified.samples.tolist()) <= set(truth.tolist())
    # The detector, on the same resampled lead, finds the same beats.
    detected = record_beats(recording, None, **BEAT_OPTIONS)
    tp, fp, fn = detection_counts(training.samples, detected.target_samples, 54)
    assert fp <= 1 and fn <= 1


@pytest.mark.mitdb
def test_xqrs_detection_on_mitdb_record_100(mitdb_dir):
    recording = read_recording(mitdb_dir / "100", ["MLII", "V5"], target_fs=TARGET_FS)
    reference, _ = read_beat_annotations(
        mitdb_dir / "100",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    detected = detect_record_peaks(recording, denoising=DenoisingOptions())
    tp, fp, fn = detection_counts(reference, detected, round(MATCH_WINDOW_S * recording.fs))
    se, ppv = sensitivity_ppv(tp, fp, fn)
    assert se > 0.99 and ppv > 0.99
