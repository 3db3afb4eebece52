"""Bringing a lead and its beat positions to the training's sampling rate.

The model, the denoising levels and the 300-sample beat window were all designed at MIT-BIH's
360 Hz, so every recording is resampled to TARGET_FS once, when it is read
(`ecgbeats.records.read_recording(..., target_fs=TARGET_FS)`), by the same code for the training
data and for new recordings.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ecgbeats.errors import InputError

# The sampling rate of MIT-BIH, hence of every beat the model was trained on.
TARGET_FS = 360.0
# Below this the QRS complex (energy up to ~40 Hz) is not resolved, so neither the detector nor
# the 300-sample window designed at 360 Hz would see the beats the model was trained on.
MIN_FS = 100.0


def resampling_ratio(fs: float, target_fs: float, record: str) -> Fraction:
    """target_fs / fs as a small exact fraction, or an InputError naming the record.

    Polyphase resampling needs a rational ratio with small terms (250 -> 360 Hz is 36/25); a
    rate without one, or one too low to resolve the QRS complex, is refused rather than guessed.
    """
    if not np.isfinite(fs) or fs < MIN_FS:
        raise InputError(
            f"record {record}: sampling rate {fs:g} Hz cannot be handled "
            f"(at least {MIN_FS:g} Hz is needed to resolve the QRS complex)"
        )
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    if abs(float(ratio) * fs - target_fs) > 1e-9 * target_fs:
        raise InputError(
            f"record {record}: sampling rate {fs:g} Hz has no exact small rational ratio to "
            f"{target_fs:g} Hz and cannot be resampled"
        )
    return ratio


def resample_signal(signal: np.ndarray, fs: float, target_fs: float, record: str) -> np.ndarray:
    """`signal` (float64) at `target_fs`, by a zero-phase polyphase filter (no time shift).

    At a ratio of 1 the signal is returned unchanged, so records already at `target_fs` give
    bit-identical beats.
    """
    ratio = resampling_ratio(fs, target_fs, record)
    signal = np.asarray(signal, dtype=np.float64)
    if ratio == 1:
        return signal
    # Imported here: scipy.signal takes ~0.6 s to import, paid by every per-record job otherwise
    # (MIT-BIH is at TARGET_FS and never gets here).
    from scipy.signal import resample_poly

    # Padding with the edge value avoids the filter's ringing against an implicit zero.
    return resample_poly(signal, ratio.numerator, ratio.denominator, padtype="line")


def convert_positions(samples: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Sample positions at `fs` expressed at `target_fs`, rounded to the nearest sample.

    Sample i at `fs` is time i / fs, which is the same instant as sample i * target_fs / fs of
    a signal resampled by `resample_signal` (zero phase: sample 0 stays at time 0).
    """
    samples = np.asarray(samples, dtype=np.float64)
    return np.rint(samples * (target_fs / fs)).astype(np.int64)
