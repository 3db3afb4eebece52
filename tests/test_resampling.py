"""Resampling a lead and its beat positions to the training's rate (ecgbeats.resampling)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats.errors import InputError
from ecgbeats.records import read_recording
from ecgbeats.resampling import (
    MIN_FS,
    TARGET_FS,
    convert_positions,
    resample_signal,
    resampling_ratio,
)
from synthetic_ecg import write_record

SYMBOLS = ["N", "N", "V", "N", "A", "N", "L", "N", "R", "N"] * 4


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
    assert recording.fs == recording.source_fs == 250
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


@pytest.mark.parametrize(
    ("fs", "message"),
    [
        (50.0, "record bad: sampling rate 50 Hz cannot be handled"),
        (3.0, "record bad: sampling rate 3 Hz cannot be handled"),
        (0.0, "record bad: sampling rate 0 Hz cannot be handled"),
        (float("nan"), "record bad: sampling rate nan Hz cannot be handled"),
        (360.0 * np.pi / 3, "record bad: .*no exact small rational"),
    ],
)
def test_resampling_rejects_unusable_rates(fs, message):
    with pytest.raises(InputError, match=message):
        resample_signal(np.zeros(1000), fs, TARGET_FS, "bad")


def test_ratio_one_leaves_the_signal_bit_identical():
    signal = np.random.default_rng(0).standard_normal(1000)
    assert resampling_ratio(TARGET_FS, TARGET_FS, "same") == 1
    assert resample_signal(signal, TARGET_FS, TARGET_FS, "same").tobytes() == signal.tobytes()
    samples = np.array([0, 17, 999], dtype=np.int64)
    np.testing.assert_array_equal(convert_positions(samples, TARGET_FS, TARGET_FS), samples)


@pytest.mark.parametrize("fs", [MIN_FS, 128.0, 250.0, 500.0, 1000.0])
def test_ratios_and_lengths_of_common_rates(fs):
    ratio = resampling_ratio(fs, TARGET_FS, "r")
    assert float(ratio) * fs == pytest.approx(TARGET_FS)
    n = 4000
    assert abs(resample_signal(np.zeros(n), fs, TARGET_FS, "r").size - n * TARGET_FS / fs) <= 1


def test_upsampled_positions_convert_back_exactly():
    samples = np.arange(0, 5000, 7, dtype=np.int64)
    for fs in (128.0, 250.0):
        there = convert_positions(samples, fs, TARGET_FS)
        np.testing.assert_array_equal(convert_positions(there, TARGET_FS, fs), samples)
