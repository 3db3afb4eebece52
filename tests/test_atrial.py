"""ecgbeats.atrial: P-wave regularity tells organised atria from fibrillation."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats import windows
from ecgbeats.atrial import P_WAVE_WINDOW_S, p_wave_regularity, p_wave_stretches
from ecgbeats.errors import InputError
from ecgbeats.synthetic import FS, beat_waveform, synthesize


def fibrillation(n_beats: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A lead in atrial fibrillation: irregular intervals (0.4-1.0 s), beats without P waves,
    fibrillatory waves (4-9 Hz, changing amplitude and phase) and noise; and its R peaks."""
    rng = np.random.default_rng(seed)
    peaks = np.round(np.cumsum(rng.uniform(0.4, 1.0, n_beats)) * FS).astype(np.int64)
    length = int(peaks[-1] + FS)
    t = np.arange(length) / FS
    lead = 0.01 * rng.standard_normal(length)
    for frequency in rng.uniform(4, 9, 6):
        envelope = 0.02 + 0.02 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t)
        lead += envelope * np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi))
    wave = beat_waveform("j")  # a conducted QRS and T wave, no P wave
    for peak in peaks:
        start = peak - int(0.3 * FS)
        lo, hi = max(start, 0), min(start + wave.size, length)
        lead[lo:hi] += wave[lo - start : hi - start]
    return lead, peaks


def test_p_waves_are_regular_around_premature_beats_and_not_in_fibrillation() -> None:
    # Every third beat premature: the intervals are irregular, the P waves are there.
    symbols = ["N", "N", "A"] * 40
    signal, peaks = synthesize(symbols, seed=3)
    ectopy = p_wave_regularity(signal[:, 0], peaks, FS)
    assert ectopy.shape == (len(symbols),)
    premature = np.array(symbols) == "A"
    assert np.median(ectopy) > 0.8 and np.median(ectopy[premature]) > 0.8
    lead, af_peaks = fibrillation(120)
    in_fibrillation = p_wave_regularity(lead, af_peaks, FS)
    assert np.median(in_fibrillation) < 0.4
    assert np.quantile(in_fibrillation, 0.9) < np.quantile(ectopy, 0.1)
    assert np.all(np.abs(np.r_[ectopy, in_fibrillation]) <= 1 + 1e-9)


def test_the_beats_own_p_wave_is_left_out_of_its_own_median() -> None:
    # One beat with an inverted P wave (an ectopic focus) in sinus rhythm: its own stretch
    # correlates negatively with its neighbours', yet its regularity is the median of its
    # neighbours' correlations, so it stays as high as in the unchanged rhythm.
    signal, peaks = synthesize(["N"] * 41, seed=4)
    lead = signal[:, 0].copy()
    before = p_wave_regularity(lead, peaks, FS)
    first = peaks[20] - int(round(P_WAVE_WINDOW_S[0] * FS))
    lead[first : peaks[20] - int(round(P_WAVE_WINDOW_S[1] * FS))] *= -3.0
    stretches = p_wave_stretches(lead, peaks, FS)
    np.testing.assert_allclose(stretches.mean(axis=1), 0.0, atol=1e-12)
    reference = np.median(np.delete(stretches[10:31], 10, axis=0), axis=0)
    assert np.corrcoef(stretches[20], reference)[0, 1] < -0.5
    after = p_wave_regularity(lead, peaks, FS)
    assert after[20] > 0.8 and after[20] == pytest.approx(before[20], abs=0.05)
    # Its neighbours, whose references include it, stay organised too: one outlier of 20.
    assert np.all(after[10:31] > 0.8)


def test_long_records_are_processed_in_chunks_with_the_same_result(monkeypatch) -> None:
    signal, peaks = synthesize(["N", "A", "N", "N", "V"] * 30, seed=5)
    whole = p_wave_regularity(signal[:, 0], peaks, FS)
    monkeypatch.setattr(windows, "_CHUNK", 7)
    np.testing.assert_allclose(p_wave_regularity(signal[:, 0], peaks, FS), whole)


def test_edges_and_bad_input() -> None:
    signal, peaks = synthesize(["N"] * 5, seed=6)
    # The first peak lies 0.25 s into the lead: its stretch starts at the lead's first sample.
    assert p_wave_stretches(signal[:, 0], peaks, FS).shape == (5, 54)
    assert np.isfinite(p_wave_regularity(signal[:, 0], peaks, FS)).all()
    np.testing.assert_array_equal(p_wave_regularity(signal[:, 0], peaks[:1], FS), [0.0])
    assert p_wave_regularity(signal[:, 0], peaks[:0], FS).shape == (0,)
    with pytest.raises(InputError, match="must be sorted"):
        p_wave_regularity(signal[:, 0], peaks[::-1], FS)
    with pytest.raises(InputError, match="sampled fast enough"):
        p_wave_stretches(signal[:, 0], peaks, 2.0)
    with pytest.raises(InputError, match="non-empty 1-D lead"):
        p_wave_stretches(signal, peaks, FS)
