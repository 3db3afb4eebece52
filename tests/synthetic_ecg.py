"""Small synthetic WFDB records that the test suite writes itself (no MIT-BIH needed).

Each beat symbol gets its own waveform (different QRS width, polarity, P and T waves) so that a
classifier can learn them, and records are written with wfdb.wrsamp / wrann in MIT-BIH's layout:
360 Hz, format 212, two leads, a `.atr` annotation file with beat and non-beat annotations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import wfdb
from wfdb import processing

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
    for symbol in symbols:
        peaks.append(int(round(position * fs)))
        position += rr * SHAPES[symbol][4] * rng.uniform(0.95, 1.05)
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


def write_record(
    directory: Path,
    name: str,
    symbols: Sequence[str],
    leads: Sequence[str] = ("MLII", "V1"),
    fs: int = FS,
    seed: int = 0,
    non_beat: bool = True,
) -> np.ndarray:
    """Write `name`.hea/.dat/.atr into `directory`; returns the R-peak samples of the beats.

    The first beat sits 0.25 s into the record, so a 150-sample window drops it at the edge.
    Non-beat annotations (`+` rhythm, `~` noise) are added between beats when `non_beat`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    signal, peaks = synthesize(symbols, fs=fs, seed=seed)
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV", "mV"],
        sig_name=list(leads),
        p_signal=signal,
        fmt=["212", "212"],
        adc_gain=[200.0, 200.0],
        baseline=[1024, 1024],
        write_dir=str(directory),
    )
    ann_samples = list(peaks)
    ann_symbols = list(symbols)
    aux = [""] * len(peaks)
    if non_beat:
        ann_samples += [int(peaks[0]) - 5, int(peaks[len(peaks) // 2]) + 40]
        ann_symbols += ["+", "~"]
        aux += ["(N", ""]
    order = np.argsort(ann_samples, kind="stable")
    wfdb.wrann(
        name,
        "atr",
        np.asarray(ann_samples)[order],
        np.asarray(ann_symbols)[order],
        aux_note=list(np.asarray(aux, dtype=object)[order]),
        fs=fs,
        write_dir=str(directory),
    )
    return peaks


def write_resampled_record(
    directory: Path, name: str, symbols: Sequence[str], fs: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, int]:
    """Write a record synthesised at 360 Hz and resampled to `fs`, as another database would be.

    The two leads are resampled with wfdb.processing.resample_sig (FFT based, so independent of
    the package's polyphase resampling) and the beat annotations are rounded to `fs`. Returns
    the R peaks written to the `.atr` file (at `fs`), the R peaks at 360 Hz and the 360 Hz length.
    """
    directory.mkdir(parents=True, exist_ok=True)
    signal, peaks = synthesize(symbols, fs=FS, seed=seed)
    resampled = np.column_stack(
        [processing.resample_sig(signal[:, lead], FS, fs)[0] for lead in range(signal.shape[1])]
    )
    at_fs = np.rint(peaks * (fs / FS)).astype(np.int64)
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV", "mV"],
        sig_name=["MLII", "V1"],
        p_signal=resampled,
        fmt=["212", "212"],
        adc_gain=[200.0, 200.0],
        baseline=[1024, 1024],
        write_dir=str(directory),
    )
    wfdb.wrann(name, "atr", at_fs, list(symbols), fs=fs, write_dir=str(directory))
    return at_fs, peaks, signal.shape[0]


def write_sha256sums(directory: Path, names: Sequence[str]) -> Path:
    """Write a SHA256SUMS file (sha256sum format) for the records' three files."""
    lines = []
    for name in names:
        for extension in ("atr", "dat", "hea"):
            path = directory / f"{name}.{extension}"
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.name}")
    target = directory / "SHA256SUMS"
    target.write_text("\n".join(lines) + "\n")
    return target


# A tiny database: every class of the `ten` task (and E for `aami`) in every record, so that
# stratified splits and SMOTE have material; records 900-905 mimic MIT-BIH ids.
TINY_RECORDS: dict[str, list[str]] = {
    f"{900 + i}": (["N"] * 12 + ["/", "L", "R", "A", "V", "f", "j", "a", "F", "E"] * 3) * 2
    for i in range(6)
}


def write_tiny_database(directory: Path) -> Path:
    """Write TINY_RECORDS plus their SHA256SUMS into `directory`; returns the checksum file."""
    for i, (name, symbols) in enumerate(TINY_RECORDS.items()):
        rng = np.random.default_rng(i)
        shuffled = list(rng.permutation(symbols))
        write_record(directory, name, shuffled, seed=i)
    return write_sha256sums(directory, list(TINY_RECORDS))
