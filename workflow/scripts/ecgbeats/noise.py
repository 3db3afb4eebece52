"""Noise stress test: calibrated noise added to a clean lead at a chosen signal-to-noise ratio.

The SNR is the one of the MIT-BIH Noise Stress Test Database (its ``nst`` program): the signal
size comes from the QRS complexes, the noise size from the noise's RMS, both robust to outliers:

- S, the signal power, is ``A**2 / 8`` where ``A`` is the mean peak-to-peak amplitude of the
  QRS complexes (the largest minus the smallest sample within :data:`QRS_HALF_WINDOW_S` of each
  annotated beat), the largest and smallest :data:`TRIM` of the amplitudes left out: the power
  of a sine wave whose peak-to-peak amplitude is ``A``;
- N, the noise power, is the squared mean of the noise's RMS over 1-second chunks (each chunk's
  mean removed), the largest and smallest :data:`TRIM` of the chunks left out;
- ``SNR = 10 log10(S / N)`` dB, so the noise is scaled by ``sqrt(S / N_1 / 10**(SNR / 10))``
  where N_1 is the power of the unscaled noise.

Noise sources (:data:`NOISE_SOURCES`), named as the records of the stress-test database:
``bw`` baseline wander, ``ma`` muscle artefact, ``em`` electrode motion. Real noise comes from
WFDB records (e.g. the database's ``bw``, ``ma``, ``em``) read by :func:`read_noise_record`;
without them :func:`generate_noise` makes noise of documented spectra (see there), which only
approximates the recorded artefacts. As ``nst`` does, a noise shorter than the record is
repeated from its start.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfiltfilt

from ecgbeats.errors import InputError
from ecgbeats.records import Recording, read_recording

#: Noise sources: the record names of the MIT-BIH Noise Stress Test Database.
NOISE_SOURCES: dict[str, str] = {
    "bw": "baseline wander",
    "ma": "muscle artefact",
    "em": "electrode motion",
}
#: Half width (seconds) of the window around each annotated beat whose range is its QRS amplitude.
QRS_HALF_WINDOW_S = 0.05
#: Share of the largest and of the smallest measurements left out of each mean.
TRIM = 0.05
#: Pass bands (Hz) of the generated noise (Butterworth, zero phase), see generate_noise.
GENERATED_BANDS: dict[str, tuple[float | None, float | None]] = {
    "bw": (None, 0.5),
    "ma": (10.0, 150.0),
    "em": (0.5, 10.0),
}


def _trimmed_mean(values: np.ndarray) -> float:
    values = np.sort(np.asarray(values, dtype=np.float64))
    cut = int(np.floor(TRIM * values.size))
    kept = values[cut : values.size - cut] if values.size > 2 * cut else values
    return float(kept.mean())


def qrs_amplitude(signal: np.ndarray, fs: float, peaks: np.ndarray) -> float:
    """Mean peak-to-peak QRS amplitude of `signal` around the beats at `peaks` (samples at
    `fs`), the largest and smallest TRIM left out."""
    signal = np.asarray(signal, dtype=np.float64)
    half = max(1, int(round(QRS_HALF_WINDOW_S * fs)))
    peaks = np.asarray(peaks, dtype=np.int64)
    peaks = peaks[(peaks >= 0) & (peaks < signal.size)]
    if peaks.size == 0:
        raise InputError("no beat inside the signal to measure the QRS amplitude at")
    amplitudes = [np.ptp(signal[max(0, p - half) : min(signal.size, p + half + 1)]) for p in peaks]
    return _trimmed_mean(np.asarray(amplitudes))


def noise_rms(noise: np.ndarray, fs: float) -> float:
    """Mean RMS of `noise` over 1-second chunks (each chunk's mean removed; a partial last
    chunk left out unless it is the only one), the largest and smallest TRIM left out."""
    noise = np.asarray(noise, dtype=np.float64)
    chunk = max(1, int(round(fs)))
    n_chunks = max(1, noise.size // chunk)
    if noise.size < chunk:
        chunks = noise[None, :]
    else:
        chunks = noise[: n_chunks * chunk].reshape(n_chunks, chunk)
    centred = chunks - chunks.mean(axis=1, keepdims=True)
    return _trimmed_mean(np.sqrt(np.mean(centred**2, axis=1)))


def snr_db(signal: np.ndarray, noise: np.ndarray, fs: float, peaks: np.ndarray) -> float:
    """The SNR (dB) of `noise` added to `signal` (both at `fs`), beats at `peaks`."""
    rms = noise_rms(noise, fs)
    if rms <= 0:
        return float("inf")
    return float(10 * np.log10(qrs_amplitude(signal, fs, peaks) ** 2 / 8 / rms**2))


def noise_gain(
    signal: np.ndarray, noise: np.ndarray, fs: float, peaks: np.ndarray, target_db: float
) -> float:
    """The factor that brings `noise` to `target_db` dB SNR against `signal`."""
    measured = snr_db(signal, noise, fs, peaks)
    if not np.isfinite(measured):
        raise InputError("the noise is flat (zero RMS): it cannot be scaled to an SNR")
    return float(10 ** ((measured - target_db) / 20))


def fitted(noise: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """`length` samples of `noise` from `offset`, repeated from its start where it runs out."""
    noise = np.asarray(noise, dtype=np.float64)
    if noise.size == 0:
        raise InputError("empty noise signal")
    return np.take(noise, (np.arange(length) + offset) % noise.size)


def seeded_rng(seed: int, *names: str) -> np.random.Generator:
    """A generator of `seed` and the names (e.g. source and record): the same noise each run."""
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def generate_noise(source: str, length: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """`length` samples at `fs` of generated noise of `source` (unit RMS before bursts).

    Gaussian white noise filtered (4th-order Butterworth, zero phase) to GENERATED_BANDS:
    ``bw`` below 0.5 Hz (baseline wander: respiration and movement); ``ma`` 10-150 Hz (muscle,
    the EMG band below the 180 Hz Nyquist limit of 360 Hz), in bursts; ``em`` 0.5-10 Hz
    (electrode motion: in the band of the P, QRS and T waves, hence the hardest to remove), in
    bursts. Bursts multiply the noise by a slow envelope (Gaussian noise below 0.2 Hz, its
    absolute value plus 0.25), so that the noise comes and goes as muscle and motion artefacts do.
    """
    if source not in GENERATED_BANDS:
        raise InputError(f"unknown noise source {source!r} ({', '.join(NOISE_SOURCES)})")
    low, high = GENERATED_BANDS[source]
    nyquist = fs / 2
    high = None if high is not None and high >= nyquist else high
    white = rng.standard_normal(length)
    noise = _filtered(white, fs, low, high)
    if source != "bw":
        envelope = np.abs(_filtered(rng.standard_normal(length), fs, None, 0.2)) + 0.25
        noise = noise * envelope / envelope.mean()
    scale = noise.std()
    return noise / scale if scale > 0 else noise


def _filtered(x: np.ndarray, fs: float, low: float | None, high: float | None) -> np.ndarray:
    if low is not None and high is not None:
        sos = butter(4, [low, high], btype="bandpass", fs=fs, output="sos")
    elif high is not None:
        sos = butter(4, high, btype="lowpass", fs=fs, output="sos")
    elif low is not None:
        sos = butter(4, low, btype="highpass", fs=fs, output="sos")
    else:
        return x
    x = sosfiltfilt(sos, x)
    return x / max(float(x.std()), 1e-12)


def read_noise_record(path: str | Path, target_fs: float) -> np.ndarray:
    """The first signal of the WFDB noise record at `path` (no extension), at `target_fs`."""
    from ecgbeats.records import read_header

    header = read_header(path)
    names = list(header.sig_name or [])
    if not names:
        raise InputError(f"noise record {Path(path).name}: its header names no signal")
    return read_recording(path, names[:1], target_fs=target_fs).signal


def noisy_recording(
    recording: Recording,
    noise: np.ndarray,
    peaks: np.ndarray,
    target_db: float,
) -> Recording:
    """`recording` with `noise` (as long as its lead, at its rate) added at `target_db` dB SNR,
    measured against the beats at `peaks`; an infinite SNR returns the recording unchanged."""
    if np.isposinf(target_db):
        return recording
    noise = np.asarray(noise, dtype=np.float64)
    if noise.size != recording.signal.size:
        raise ValueError("noisy_recording: the noise must be as long as the lead")
    gain = noise_gain(recording.signal, noise, recording.fs, peaks, target_db)
    return dataclasses.replace(recording, signal=recording.signal + gain * noise)


def source_names(sources: Sequence[str]) -> list[str]:
    """The sources, checked against NOISE_SOURCES (an InputError names an unknown one)."""
    unknown = [s for s in sources if s not in NOISE_SOURCES]
    if unknown:
        raise InputError(
            f"unknown noise source(s) {', '.join(unknown)} (known: {', '.join(NOISE_SOURCES)})"
        )
    return list(sources)
