"""Reading WFDB records: lead choice, physical signal, beat annotations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from ecgbeats.errors import InputError

# MIT-BIH beat annotation codes (wfdb's "beat" set). Everything else (+ ~ " x | [ ] ! and
# the rest) marks rhythm, signal quality or comments, not a beat.
BEAT_SYMBOLS: frozenset[str] = frozenset("NLRBAaJSVrFejnE/fQ?")


@dataclass(frozen=True)
class Recording:
    """One lead of a record, in physical units."""

    record: str
    signal: np.ndarray  # float64, shape (n,)
    fs: float
    lead: str


def choose_lead(signal_names: Sequence[str], preferred: Sequence[str], record: str) -> int:
    """Index of the first lead of `preferred` present in `signal_names`."""
    for lead in preferred:
        if lead in signal_names:
            return list(signal_names).index(lead)
    raise InputError(
        f"record {record}: none of the preferred leads {list(preferred)} (config key 'leads') "
        f"is present; the record has {list(signal_names)}"
    )


def _record_name(path: str | Path) -> str:
    return Path(path).name


def read_header(path: str | Path) -> wfdb.Record:
    """The header of the record at `path` (no extension), with errors naming the file."""
    header = Path(f"{path}.hea")
    if not header.is_file():
        raise InputError(f"record {_record_name(path)}: missing header file {header}")
    try:
        return wfdb.rdheader(str(path))
    except Exception as error:  # wfdb raises many types for a malformed header
        raise InputError(
            f"record {_record_name(path)}: corrupt header {header}: {error}"
        ) from error


def read_recording(path: str | Path, preferred_leads: Sequence[str]) -> Recording:
    """Read the preferred lead of the record at `path` (no extension) in physical units."""
    record = _record_name(path)
    header = read_header(path)
    channel = choose_lead(header.sig_name or [], preferred_leads, record)
    data_file = Path(path).parent / header.file_name[channel]
    if not data_file.is_file():
        raise InputError(f"record {record}: missing signal file {data_file}")
    _check_size(header, data_file, record)
    try:
        data = wfdb.rdrecord(str(path), channels=[channel], physical=True)
    except Exception as error:
        raise InputError(
            f"record {record}: cannot read signal file {data_file}: {error}"
        ) from error
    signal = np.asarray(data.p_signal[:, 0], dtype=np.float64)
    expected = header.sig_len
    if expected and signal.shape[0] != expected:
        raise InputError(
            f"record {record}: signal file {data_file} is truncated: {signal.shape[0]} samples, "
            f"header says {expected}"
        )
    if not np.all(np.isfinite(signal)):
        # wfdb maps the format's invalid-sample code to NaN; a few gaps are interpolated.
        signal = _fill_gaps(signal, record)
    return Recording(
        record=record, signal=signal, fs=float(header.fs), lead=header.sig_name[channel]
    )


# Bytes per sample of the common WFDB storage formats (all signals of a file share one format).
_BYTES_PER_SAMPLE = {
    "8": 1,
    "16": 2,
    "24": 3,
    "32": 4,
    "61": 2,
    "80": 1,
    "160": 2,
    "212": 1.5,
    "310": 4 / 3,
    "311": 4 / 3,
}


def _check_size(header: wfdb.Record, data_file: Path, record: str) -> None:
    """Fail early, naming the file, when a signal file is shorter than its header promises."""
    in_file = [i for i, name in enumerate(header.file_name) if name == data_file.name]
    width = _BYTES_PER_SAMPLE.get(str(header.fmt[in_file[0]]))
    if width is None or not header.sig_len:
        return
    offset = (header.byte_offset or [0] * len(header.file_name))[in_file[0]] or 0
    expected = offset + int(np.ceil(header.sig_len * len(in_file) * width))
    actual = data_file.stat().st_size
    if actual < expected:
        raise InputError(
            f"record {record}: signal file {data_file} is truncated: {actual} bytes, "
            f"the header needs {expected}"
        )


def _fill_gaps(signal: np.ndarray, record: str) -> np.ndarray:
    finite = np.isfinite(signal)
    if finite.sum() < 2:
        raise InputError(f"record {record}: the chosen lead holds no valid samples")
    index = np.arange(signal.size)
    return np.interp(index, index[finite], signal[finite])


def read_beat_annotations(
    path: str | Path, extension: str = "atr", length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Samples and symbols of the beat annotations of a record (non-beat codes left out)."""
    record = _record_name(path)
    annotation_file = Path(f"{path}.{extension}")
    if not annotation_file.is_file():
        raise InputError(f"record {record}: missing annotation file {annotation_file}")
    try:
        annotation = wfdb.rdann(str(path), extension)
    except Exception as error:
        raise InputError(
            f"record {record}: cannot read annotation file {annotation_file}: {error}"
        ) from error
    samples = np.asarray(annotation.sample, dtype=np.int64)
    symbols = np.asarray(annotation.symbol, dtype=str)
    is_beat = np.isin(symbols, sorted(BEAT_SYMBOLS))
    if length is not None:
        is_beat &= (samples >= 0) & (samples < length)
    return samples[is_beat], symbols[is_beat]
