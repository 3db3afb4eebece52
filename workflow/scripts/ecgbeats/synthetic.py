"""Synthetic ECG: beats with a distinct waveform per MIT-BIH symbol, and two-lead signals of them.

For tests and benchmarks (no database needed): each symbol gets its own P wave, QRS width and
polarity and T wave, so that a classifier can learn them, and premature beats come early
(followed by a compensatory pause).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FS = 360

# (P amplitude, QRS amplitude, QRS width in s, T amplitude, premature RR factor)
SHAPES: dict[str, tuple[float, float, float, float, float]] = {
    "N": (0.15, 1.2, 0.030, 0.30, 1.00),
    "/": (0.00, 1.0, 0.050, -0.20, 1.00),
    "L": (0.12, 1.0, 0.070, -0.30, 1.00),
    "R": (0.12, 0.8, 0.060, 0.25, 1.00),
    "A": (0.25, 1.1, 0.030, 0.30, 0.70),
    "V": (0.00, -1.5, 0.080, 0.50, 0.65),
    "f": (0.05, 0.9, 0.045, 0.10, 1.00),
    "j": (0.00, 1.1, 0.035, 0.25, 1.10),
    "a": (0.25, 0.9, 0.060, 0.20, 0.70),
    "F": (0.05, -0.6, 0.060, 0.40, 0.90),
    "E": (0.00, -1.2, 0.090, 0.40, 1.20),
}


def beat_waveform(symbol: str, fs: int = FS) -> np.ndarray:
    """One beat of `symbol`, 0.8 s long, R peak at 0.3 s."""
    p_amp, qrs_amp, qrs_width, t_amp, _ = SHAPES[symbol]
    t = np.arange(int(0.8 * fs)) / fs
    r = 0.3

    def bump(center: float, width: float, amplitude: float) -> np.ndarray:
        return amplitude * np.exp(-0.5 * ((t - center) / width) ** 2)

    return (
        bump(r - 0.18, 0.025, p_amp)
        + bump(r, qrs_width / 2.5, qrs_amp)
        + bump(r - qrs_width, qrs_width / 4, -0.15 * abs(qrs_amp))
        + bump(r + 0.25, 0.05, t_amp)
    )


def synthesize(
    symbols: Sequence[str], fs: int = FS, seed: int = 0, first_peak_s: float = 0.25
) -> tuple[np.ndarray, np.ndarray]:
    """Two-lead signal (mV) holding `symbols` as beats; returns (signal (n, 2), R-peak samples)."""
    rng = np.random.default_rng(seed)
    rr = 0.8
    peaks = []
    position = first_peak_s
    previous_factor = 1.0
    for symbol in symbols:
        factor = SHAPES[symbol][4]
        # A premature beat (factor < 1) comes early and is followed by a compensatory pause.
        pause = 2.0 - previous_factor if previous_factor < 1 else 1.0
        if peaks:
            position += rr * factor * pause * rng.uniform(0.95, 1.05)
        peaks.append(int(round(position * fs)))
        previous_factor = factor
    position += rr * rng.uniform(0.95, 1.05)
    length = int(round((position + 0.05) * fs))
    signal = np.zeros((length, 2))
    for symbol, peak in zip(symbols, peaks, strict=True):
        wave = beat_waveform(symbol, fs) * rng.uniform(0.9, 1.1)
        start = peak - int(0.3 * fs)
        lo, hi = max(start, 0), min(start + len(wave), length)
        signal[lo:hi, 0] += wave[lo - start : hi - start]
        signal[lo:hi, 1] += 0.6 * wave[lo - start : hi - start]
    t = np.arange(length) / fs
    baseline = 0.2 * np.sin(2 * np.pi * 0.2 * t)  # baseline wander, removed by denoising
    noise = 0.01 * rng.standard_normal((length, 2))
    signal += baseline[:, None] + noise
    return signal, np.asarray(peaks, dtype=np.int64)
