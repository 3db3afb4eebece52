"""Wavelet denoising of one ECG lead (the paper: db5, 9 levels)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pywt

from ecgbeats.errors import InputError

Threshold = Literal["none", "soft", "hard"]


@dataclass(frozen=True)
class DenoisingOptions:
    """Which wavelet coefficients are removed or thresholded (the workflow's `denoise` settings).

    Details are numbered as in the usual notation: D1 is the finest (highest frequency) level.
    """

    wavelet: str
    level: int
    remove_approximation: bool
    remove_details: tuple[int, ...]
    threshold: Threshold

    def __post_init__(self) -> None:
        # Lists from YAML become tuples, so the options stay hashable.
        object.__setattr__(self, "level", int(self.level))
        object.__setattr__(self, "remove_approximation", bool(self.remove_approximation))
        object.__setattr__(self, "remove_details", tuple(int(d) for d in self.remove_details))
        if self.threshold not in ("none", "soft", "hard"):
            raise InputError(f"unknown denoising threshold {self.threshold!r} (none, soft or hard)")


def band_edges_hz(fs: float, level: int) -> dict[str, tuple[float, float]]:
    """Nominal frequency band of each coefficient set (A<level>, D1..D<level>)."""
    bands = {f"D{j}": (fs / 2 ** (j + 1), fs / 2**j) for j in range(1, level + 1)}
    bands[f"A{level}"] = (0.0, fs / 2 ** (level + 1))
    return bands


def denoise(signal: np.ndarray, options: DenoisingOptions) -> np.ndarray:
    """Reconstruct `signal` from its wavelet decomposition without the removed coefficients.

    Works in float32: ample for ECG (11-bit ADC data) and about a third faster than float64.
    """
    signal = np.asarray(signal, dtype=np.float32)
    _check(options, signal.size)
    coefficients = pywt.wavedec(signal, options.wavelet, level=options.level)
    # coefficients = [A_L, D_L, D_{L-1}, ..., D_1]
    if options.remove_approximation:
        coefficients[0] = np.zeros_like(coefficients[0])
    removed = set(options.remove_details)
    for position in range(1, len(coefficients)):
        detail_level = options.level - position + 1
        if detail_level in removed:
            coefficients[position] = np.zeros_like(coefficients[position])
        elif options.threshold != "none":
            coefficients[position] = _universal_threshold(
                coefficients[position], coefficients[-1], signal.size, options.threshold
            )
    return pywt.waverec(coefficients, options.wavelet)[: signal.size]


def _universal_threshold(
    detail: np.ndarray, finest: np.ndarray, n: int, mode: Threshold
) -> np.ndarray:
    # VisuShrink: noise sigma from the finest detail's median absolute deviation.
    sigma = np.median(np.abs(finest)) / 0.6745
    return pywt.threshold(detail, sigma * np.sqrt(2.0 * np.log(n)), mode=mode)


def _check(options: DenoisingOptions, length: int) -> None:
    try:
        wavelet = pywt.Wavelet(options.wavelet)
    except ValueError as error:
        raise InputError(f"denoising wavelet {options.wavelet!r}: {error}") from error
    bad = [d for d in options.remove_details if not 1 <= d <= options.level]
    if bad:
        raise InputError(
            f"denoising: detail levels {bad} to remove are outside 1..{options.level} "
            f"(the decomposition has {options.level} levels)"
        )
    max_level = pywt.dwt_max_level(length, wavelet.dec_len)
    if options.level > max_level:
        raise InputError(
            f"denoising: a {options.level}-level decomposition needs a longer signal "
            f"({length} samples allow at most {max_level} levels)"
        )


def kept_details(options: DenoisingOptions) -> list[int]:
    """Detail levels kept by `options` (for captions and logs)."""
    return [d for d in range(1, options.level + 1) if d not in options.remove_details]


def passband_hz(options: DenoisingOptions, fs: float) -> tuple[float, float]:
    """Nominal lowest and highest frequency the reconstruction keeps (for figure titles)."""
    bands = band_edges_hz(fs, options.level)
    kept = kept_details(options)
    low = 0.0 if not options.remove_approximation else bands[f"D{max(kept, default=1)}"][0]
    high = bands[f"D{min(kept)}"][1] if kept else bands[f"A{options.level}"][1]
    return low, high
