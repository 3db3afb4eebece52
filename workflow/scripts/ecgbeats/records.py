"""Reading WFDB records: header checks, lead choice, physical signal, beat annotations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from ecgbeats.errors import InputError
from ecgbeats.resampling import convert_positions, resample_signal, resampling_ratio

# MIT-BIH beat annotation codes (wfdb's "beat" set). Everything else (+ ~ " x | [ ] ! and
# the rest) marks rhythm, signal quality or comments, not a beat.
BEAT_SYMBOLS: frozenset[str] = frozenset("NLRBAaJSVrFejnE/fQ?")


@dataclass(frozen=True)
class Recording:
    """One lead of a record, in physical units, at the rate `fs` (resampled from `source_fs`)."""

    record: str
    signal: np.ndarray  # float64, shape (n,)
    fs: float  # the rate of `signal`
    lead: str
    source_fs: float  # the header's rate; equal to `fs` when not resampled


def choose_lead(signal_names: Sequence[str], preferred: Sequence[str], record: str) -> int:
    """Index of the first lead of `preferred` present in `signal_names`."""
    for lead in preferred:
        if lead in signal_names:
            return list(signal_names).index(lead)
    raise InputError(
        f"record {record}: none of the preferred leads {list(preferred)} is present; the record "
        f"has {list(signal_names)} (add one of them to the preferred leads, or leave the record "
        "out)"
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


def read_recording(
    path: str | Path, preferred_leads: Sequence[str], target_fs: float | None = None
) -> Recording:
    """Read the preferred lead of the record at `path` (no extension) in physical units.

    The header's rate, signal length and the lead's ADC gain are checked against each other and
    the signal file first. With `target_fs` the lead is resampled to it (`resample_signal`), the
    one way every caller, training and classification alike, brings a record to the model's rate.
    """
    record = _record_name(path)
    header_file = Path(f"{path}.hea")
    header = read_header(path)
    if not isinstance(header, wfdb.Record):
        raise InputError(
            f"record {record}: header {header_file} describes a multi-segment record, "
            "which is not supported"
        )
    source_fs = _check_rate(header.fs, target_fs, record, header_file)
    if header.sig_len is None or header.sig_len <= 0:
        raise InputError(
            f"record {record}: header {header_file} gives no signal length (sig_len "
            f"{header.sig_len}); it is needed to check the signal file"
        )
    channel = choose_lead(header.sig_name or [], preferred_leads, record)
    lead = header.sig_name[channel]
    _check_gain(header.adc_gain[channel], lead, record, header_file)
    data_file = Path(path).parent / header.file_name[channel]
    if not data_file.is_file():
        raise InputError(f"record {record}: missing signal file {data_file}")
    _check_size(header, data_file, record, header_file)
    try:
        data = wfdb.rdrecord(str(path), channels=[channel], physical=True)
    except Exception as error:
        raise InputError(
            f"record {record}: cannot read signal file {data_file}: {error}"
        ) from error
    signal = np.asarray(data.p_signal[:, 0], dtype=np.float64)
    if signal.shape[0] != header.sig_len:
        raise InputError(
            f"record {record}: signal file {data_file} is truncated: {signal.shape[0]} samples, "
            f"header {header_file} says {header.sig_len}"
        )
    if not np.all(np.isfinite(signal)):
        # wfdb maps the format's invalid-sample code to NaN; a few gaps are interpolated.
        signal = _fill_gaps(signal, record)
    fs = source_fs
    if target_fs is not None:
        signal = resample_signal(signal, source_fs, target_fs, record)
        fs = float(target_fs)
    return Recording(record=record, signal=signal, fs=fs, lead=lead, source_fs=source_fs)


def _check_rate(fs: float | None, target_fs: float | None, record: str, header_file: Path) -> float:
    """The header's sampling rate as a float: finite, above 0 and resampleable to `target_fs`.

    A rate of 0 would make every RR interval infinite, and one the model's rate cannot be
    reached from (below MIN_FS, or no small rational ratio) would cut beats of the wrong length.
    """
    rate = float("nan") if fs is None else float(fs)
    if not np.isfinite(rate) or rate <= 0:
        raise InputError(
            f"record {record}: header {header_file} gives sampling rate {fs} Hz; "
            "a finite rate above 0 Hz is needed"
        )
    if target_fs is not None:
        try:
            resampling_ratio(rate, target_fs, record)
        except InputError as error:
            raise InputError(f"{error} (header {header_file})") from error
    return rate


def _check_gain(gain: float | None, lead: str, record: str, header_file: Path) -> None:
    """Fail, naming the header, when the lead's ADC gain cannot turn samples into physical units.

    wfdb already reads a gain of 0 or an omitted one as 200 ADC units per unit (the WFDB default
    for uncalibrated signals), so that is accepted. What is left here has no meaningful
    conversion: NaN, infinite (every sample becomes 0), so small that dividing by it overflows,
    or negative (a header error that wfdb would silently apply as an inversion of the lead).
    """
    value = float("nan") if gain is None else float(gain)
    with np.errstate(divide="ignore", over="ignore"):
        usable = np.isfinite(value) and value > 0 and np.isfinite(1.0 / value)
    if not usable:
        raise InputError(
            f"record {record}: header {header_file} gives lead {lead} the ADC gain {gain}; "
            "a finite gain above 0 (ADC units per physical unit) is needed"
        )


# (bytes, samples) of one storage group of the fixed-width WFDB formats: 212 packs two samples
# into 3 bytes and 310 / 311 three into 4 bytes; the others store one sample per group.
_FORMAT_GROUPS: dict[str, tuple[int, int]] = {
    "8": (1, 1),
    "16": (2, 1),
    "24": (3, 1),
    "32": (4, 1),
    "61": (2, 1),
    "80": (1, 1),
    "160": (2, 1),
    "212": (3, 2),
    "310": (4, 3),
    "311": (4, 3),
}


def _check_size(header: wfdb.Record, data_file: Path, record: str, header_file: Path) -> None:
    """Fail early, naming the file, when a signal file's size disagrees with its header.

    A fixed-width file holds sig_len frames of all its signals after the byte offset; only the
    last storage group may be padded. A shorter file is truncated, a longer one holds samples
    the header does not account for (a wrong sig_len, or the wrong file).
    """
    in_file = [i for i, name in enumerate(header.file_name) if name == data_file.name]
    group = _FORMAT_GROUPS.get(str(header.fmt[in_file[0]]))
    if group is None:  # variable-width formats (FLAC): wfdb's reader checks them
        return
    group_bytes, group_samples = group
    per_frame = sum(
        (header.samps_per_frame or [1] * len(header.file_name))[i] or 1 for i in in_file
    )
    offset = (header.byte_offset or [0] * len(header.file_name))[in_file[0]] or 0
    samples = header.sig_len * per_frame
    needed = offset + -(-samples * group_bytes // group_samples)
    padded = offset + -(-samples // group_samples) * group_bytes
    actual = data_file.stat().st_size
    if actual < needed:
        raise InputError(
            f"record {record}: signal file {data_file} is truncated: {actual} bytes, "
            f"the header needs {needed}"
        )
    if actual > padded:
        held = (actual - offset) * group_samples // (group_bytes * per_frame)
        raise InputError(
            f"record {record}: signal file {data_file} holds more samples than header "
            f"{header_file} says: {actual} bytes, about {held} samples per signal, but sig_len "
            f"is {header.sig_len} ({needed} bytes)"
        )


def _fill_gaps(signal: np.ndarray, record: str) -> np.ndarray:
    finite = np.isfinite(signal)
    if finite.sum() < 2:
        raise InputError(f"record {record}: the chosen lead holds no valid samples")
    index = np.arange(signal.size)
    return np.interp(index, index[finite], signal[finite])


def _read_annotation(path: str | Path, extension: str) -> wfdb.Annotation:
    """The annotation file `path`.`extension`, read by wfdb (InputError naming the record)."""
    try:
        return wfdb.rdann(str(path), extension)
    except Exception as error:
        raise InputError(
            f"record {_record_name(path)}: cannot read annotation file {path}.{extension}: {error}"
        ) from error


def read_beat_annotations(
    path: str | Path,
    extension: str = "atr",
    length: int | None = None,
    source_fs: float | None = None,
    target_fs: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Samples and symbols of the beat annotations of a record (non-beat codes left out).

    With `source_fs` and `target_fs` (a `Recording`'s `source_fs` and `fs`) the positions are
    converted to `target_fs` first, so that they and `length` refer to the resampled lead.
    """
    if (source_fs is None) != (target_fs is None):
        raise ValueError("read_beat_annotations: give both source_fs and target_fs, or neither")
    annotation_file = Path(f"{path}.{extension}")
    if not annotation_file.is_file():
        raise InputError(f"record {_record_name(path)}: missing annotation file {annotation_file}")
    annotation = _read_annotation(path, extension)
    samples = np.asarray(annotation.sample, dtype=np.int64)
    symbols = np.asarray(annotation.symbol, dtype=str)
    if source_fs is not None and target_fs is not None and source_fs != target_fs:
        samples = convert_positions(samples, source_fs, target_fs)
    is_beat = np.isin(symbols, sorted(BEAT_SYMBOLS))
    if length is not None:
        is_beat &= (samples >= 0) & (samples < length)
    return samples[is_beat], symbols[is_beat]


def read_rhythm_changes(path: str | Path, extension: str = "atr") -> tuple[np.ndarray, list[str]]:
    """Samples (at the stored rate) and labels of a record's rhythm changes: the annotations
    whose auxiliary note names a rhythm, such as "(N", "(AFIB" or "(AFL" in MIT-BIH."""
    annotation = _read_annotation(path, extension)
    notes = [str(note or "").strip("\x00").strip() for note in annotation.aux_note]
    keep = [i for i, note in enumerate(notes) if note.startswith("(")]
    samples = np.asarray(annotation.sample, dtype=np.int64)[keep]
    return samples, [notes[i] for i in keep]


def read_annotations_of(
    recording: Recording, path: str | Path, extension: str = "atr"
) -> tuple[np.ndarray, np.ndarray]:
    """Beat annotations (samples, symbols) of `recording`, read from the record at `path`: at
    the recording's rate and within its length, whatever rate the record was stored at."""
    return read_beat_annotations(
        path,
        extension,
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
