"""Records of other databases scored like MIT-BIH: their beat annotations in MIT-BIH symbols,
and the tables of a model's results on a database.

Another database may name a class differently (the MIT-BIH Supraventricular Arrhythmia Database
annotates supraventricular premature beats ``S`` where MIT-BIH uses ``A``): its symbol map turns
its symbols into MIT-BIH's before anything else, and a symbol that is then neither a beat code nor
a WFDB non-beat code is refused, naming the database and the record, rather than silently left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import wfdb
from wfdb.io.annotation import ann_label_table

from ecgbeats.classes import label_symbols
from ecgbeats.errors import InputError
from ecgbeats.records import BEAT_SYMBOLS, Recording, read_recording
from ecgbeats.resampling import TARGET_FS, convert_positions

#: Every symbol of WFDB's standard annotation table: beats, rhythm, noise and comment codes.
WFDB_SYMBOLS: frozenset[str] = frozenset(ann_label_table["symbol"].astype(str))


def mapped_symbols(symbols: Sequence[str], symbol_map: Mapping[str, str]) -> np.ndarray:
    """`symbols` of a database in MIT-BIH's: mapped where the map names them, else kept."""
    return np.asarray([symbol_map.get(str(s), str(s)) for s in symbols], dtype=str)


def database_beats(
    recording: Recording,
    path: str | Path,
    extension: str,
    symbol_map: Mapping[str, str],
    database: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Beat positions (at the recording's rate, inside its lead) and MIT-BIH symbols of the
    annotations `extension` of the record at `path`, its symbols mapped by `symbol_map`.

    InputError naming the database and the record: no annotation file, an unreadable one, or
    symbols that are no WFDB code once mapped.
    """
    where = f"database {database}, record {recording.record}"
    annotation_file = Path(f"{path}.{extension}")
    if not annotation_file.is_file():
        raise InputError(f"{where}: no annotation file {annotation_file}")
    try:
        annotation = wfdb.rdann(str(path), extension)
    except Exception as error:  # wfdb raises many types for a corrupt file
        raise InputError(
            f"{where}: cannot read annotation file {annotation_file}: {error}"
        ) from error
    symbols = mapped_symbols(annotation.symbol, symbol_map)
    unknown = sorted(set(symbols) - WFDB_SYMBOLS)
    if unknown:
        raise InputError(
            f"{where}: annotation symbol(s) {', '.join(map(repr, unknown))} in "
            f"{annotation_file} are not MIT-BIH codes; map them to MIT-BIH beat symbols in the "
            "database's symbol map"
        )
    samples = convert_positions(np.asarray(annotation.sample), recording.source_fs, recording.fs)
    is_beat = np.isin(symbols, sorted(BEAT_SYMBOLS)) & (samples >= 0)
    is_beat &= samples < recording.signal.size
    order = np.argsort(samples[is_beat], kind="stable")
    return samples[is_beat][order], symbols[is_beat][order]


@dataclass(frozen=True)
class ExternalRecordOptions:
    """A database's records: its name, preferred leads, annotation extension and symbol map."""

    database: str
    leads: Sequence[str]  # signal names in order of preference, for this database only
    annotation_extension: str
    symbol_map: Mapping[str, str]  # the database's symbols -> MIT-BIH symbols


def read_external_record(
    header: str | Path, options: ExternalRecordOptions
) -> tuple[Recording, np.ndarray, np.ndarray]:
    """The record of `header` (the recording, its beat positions and MIT-BIH symbols) read as
    the training reads MIT-BIH's: at TARGET_FS, the first of the database's leads it has.
    InputError naming the database and the record: no usable lead, no
    or unreadable annotations, unmapped symbols, no beat annotation."""
    record_path = Path(header).with_suffix("")
    database = options.database
    try:
        recording = read_recording(record_path, options.leads, target_fs=TARGET_FS)
    except InputError as error:
        raise InputError(f"database {database}: {error}") from error
    peaks, symbols = database_beats(
        recording, record_path, options.annotation_extension, options.symbol_map, database
    )
    if peaks.size == 0:
        raise InputError(
            f"database {database}, record {recording.record}: no beat annotations in "
            f"{record_path}.{options.annotation_extension}"
        )
    return recording, peaks, symbols


@dataclass(frozen=True)
class ScoredRecord:
    """One record of a database scored by one model (an EXTERNAL_SCORES file's arrays)."""

    record: str
    lead: str
    source_fs: float
    symbols: np.ndarray  # MIT-BIH symbol per scored beat
    probabilities: np.ndarray  # (beats, classes)
    edge_drops: int


def external_tables(
    scored: Sequence[ScoredRecord], class_map: Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """The beats of the task's classes over all records: (in-task mask over all scored beats,
    labels, probabilities) and the per-record table (beats scored and in the task, edge drops,
    accuracy and, per class, its beats and recall)."""
    masks, labels, scores, rows = [], [], [], []
    names: list[str] = []
    for item in scored:
        in_task, item_labels, names = label_symbols(item.symbols, class_map)
        predicted = item.probabilities[in_task].argmax(axis=1)
        row: dict[str, object] = {
            "record": item.record,
            "lead": item.lead,
            "source_fs": item.source_fs,
            "beats_scored": int(item.symbols.size),
            "beats_in_task": int(in_task.sum()),
            "edge_drops": item.edge_drops,
            "accuracy": float(np.mean(predicted == item_labels)) if item_labels.size else np.nan,
        }
        for index, name in enumerate(names):
            of_class = item_labels == index
            row[f"beats_{name}"] = int(of_class.sum())
            row[f"recall_{name}"] = (
                float(np.mean(predicted[of_class] == index)) if of_class.any() else np.nan
            )
        rows.append(row)
        masks.append(in_task)
        labels.append(item_labels)
        scores.append(item.probabilities[in_task])
    k = len(names)
    return (
        np.concatenate(masks),
        np.concatenate(labels).astype(np.int64),
        np.concatenate([s.reshape(-1, k) for s in scores]),
        pd.DataFrame(rows),
    )
