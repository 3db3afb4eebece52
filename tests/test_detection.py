"""Resampling, R-peak detection and matching, annotation symbols (ecgbeats.detection)."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection import (
    MATCH_WINDOW_S,
    TARGET_FS,
    annotation_symbols,
    convert_positions,
    detect_record_peaks,
    detection_counts,
    match_beats,
    record_beats,
    resample_signal,
    sensitivity_ppv,
    write_annotations,
)
from ecgbeats.errors import InputError
from ecgbeats.records import read_beat_annotations, read_recording
from synthetic_ecg import write_record

SYMBOLS = ["N", "N", "V", "N", "A", "N", "L", "N", "R", "N"] * 4
BEAT_OPTIONS = dict(denoising=DenoisingOptions(), before=150, after=150, normalisation="zscore")


def _peak_time(signal: np.ndarray, position: int, fs: float, radius: int) -> float:
    """Time (s) of the largest |deviation| near `position`, refined by a parabola."""
    centred = np.abs(signal - np.median(signal))
    lo = position - radius
    index = lo + int(np.argmax(centred[lo : position + radius + 1]))
    left, mid, right = centred[index - 1 : index + 2]
    offset = 0.5 * (left - right) / (left - 2 * mid + right)
    return (index + offset) / fs


def test_resampling_keeps_beat_positions_within_one_sample(tmp_path):
    peaks = write_record(tmp_path, "r250", SYMBOLS, fs=250, non_beat=False)
    recording = read_recording(tmp_path / "r250", ["MLII"])
    assert recording.fs == 250
    resampled = resample_signal(recording.signal, recording.fs, TARGET_FS, "r250")
    assert abs(resampled.size - recording.signal.size * TARGET_FS / 250) <= 1
    converted = convert_positions(peaks, 250, TARGET_FS)
    assert np.max(np.abs(converted - peaks * TARGET_FS / 250)) <= 0.5
    # The waveform must not move: each beat's peak, located in the original 250 Hz lead and in
    # the resampled lead, is at the same time to within one 360 Hz sample.
    for original, position in zip(peaks, converted, strict=True):
        before = _peak_time(recording.signal, int(original), 250.0, 7)
        after = _peak_time(resampled, int(position), TARGET_FS, 10)
        assert abs(after - before) * TARGET_FS < 1.0


def test_resampling_rejects_unusable_rates():
    signal = np.zeros(1000)
    with pytest.raises(InputError, match="record low: sampling rate 50"):
        resample_signal(signal, 50.0, TARGET_FS, "low")
    with pytest.raises(InputError, match="record odd: .*no exact small rational"):
        resample_signal(signal, 360.0 * np.pi / 3, TARGET_FS, "odd")
    assert resample_signal(signal, 360.0, TARGET_FS, "same") is not None


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
    recording = read_recording(tmp_path / "r250", ["MLII"])
    annotated = record_beats(recording.signal, recording.fs, peaks, record="r250", **BEAT_OPTIONS)
    assert annotated.source == "annotations"
    assert annotated.beats.shape[1] == 300 and annotated.beats.dtype == np.float32
    # Positions come back at the recording's own rate: the annotated ones, minus edge drops.
    assert set(annotated.samples.tolist()) <= set(peaks.tolist())
    assert annotated.samples.size >= peaks.size - 2
    detected = record_beats(recording.signal, recording.fs, None, record="r250", **BEAT_OPTIONS)
    assert detected.source == "detector"
    tp, fp, fn = detection_counts(annotated.samples, detected.samples, round(0.15 * 250))
    assert fp <= 1 and fn <= 1 and tp >= annotated.samples.size - 1


def test_record_beats_errors_name_the_record():
    with pytest.raises(InputError, match="record short: too short for one beat"):
        record_beats(np.zeros(200), 360.0, None, record="short", **BEAT_OPTIONS)
    with pytest.raises(InputError, match="record flat: no complete beat window"):
        record_beats(np.zeros(20000), 360.0, np.array([10, 19990]), record="flat", **BEAT_OPTIONS)


@pytest.mark.mitdb
def test_xqrs_detection_on_mitdb_record_100(mitdb_dir):
    recording = read_recording(mitdb_dir / "100", ["MLII", "V5"])
    reference, _ = read_beat_annotations(mitdb_dir / "100", length=recording.signal.size)
    detected = detect_record_peaks(
        recording.signal, recording.fs, record="100", denoising=DenoisingOptions()
    )
    tp, fp, fn = detection_counts(reference, detected, round(MATCH_WINDOW_S * recording.fs))
    se, ppv = sensitivity_ppv(tp, fp, fn)
    assert se > 0.99 and ppv > 0.99
