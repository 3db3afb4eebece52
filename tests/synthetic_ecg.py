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

from ecgbeats.synthetic import FS, SHAPES, beat_waveform, synthesize  # noqa: F401 (re-used by tests)


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
    Non-beat annotations (`+` rhythm changes, among them an atrial fibrillation episode over the
    third quarter of the beats, and `~` noise) are added between beats when `non_beat`.
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
        # The rhythm: normal, an atrial fibrillation episode over the third quarter of the beats
        # (MIT-BIH's rhythm notes), normal again; a noise mark.
        half, three_quarters = len(peaks) // 2, 3 * len(peaks) // 4
        ann_samples += [int(peaks[0]) - 5, int(peaks[half]) + 40]
        ann_symbols += ["+", "~"]
        aux += ["(N", ""]
        if three_quarters > half:
            ann_samples += [int(peaks[half]) + 20, int(peaks[three_quarters]) + 20]
            ann_symbols += ["+", "+"]
            aux += ["(AFIB", "(N"]
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


def write_single_lead(directory: Path, name: str, signal: np.ndarray, fs: float) -> Path:
    """A one-lead (MLII) record of `signal` (mV) at `fs`, format 16; returns its path."""
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV"],
        sig_name=["MLII"],
        p_signal=np.asarray(signal, dtype=float).reshape(-1, 1),
        fmt=["16"],
        write_dir=str(directory),
    )
    return directory / name


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
