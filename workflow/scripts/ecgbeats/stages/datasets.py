"""Datasets stage: rules summarise_beats (beats per record) and build_dataset (the per-record
beats labelled with a task's classes).

The stage's figure (rule plot_class_distribution) is in ecgbeats.stages.datasets_figures.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ecgbeats.artifacts import DATASET, RECORD_BEATS
from ecgbeats.classes import label_symbols, require_all_classes
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)

#: Per-beat arrays of a dataset, taken from the records' beats files (records: their ids).
_ROWS = ("beats", "labels", "records", "symbols", "samples", "rr_features", "rhythms")


def build_dataset(
    beats: Sequence[str | Path],
    dataset: str | Path,
    counts: str | Path,
    task: str,
    class_map: Mapping[str, str],
    require_every_class: bool = True,
) -> dict[str, int]:
    """The beats of the files `beats` whose symbol `class_map` (symbol -> class) maps, labelled,
    written to `dataset`; the beats per class to the TSV `counts` and its HTML view. Every class
    must have beats, unless `require_every_class` is false. Returns beats per class."""
    parts: dict[str, list[np.ndarray]] = {key: [] for key in _ROWS}
    names: list[str] = []
    record_ids: list[str] = []
    median_beats: list[np.ndarray] = []
    for path in beats:
        data = RECORD_BEATS.load(path)
        record_ids.append(str(data["record"]))
        median_beats.append(data["median_beat"])
        in_task, labels, names = label_symbols(data["symbols"], class_map)
        parts["beats"].append(data["beats"][in_task])
        parts["labels"].append(labels)
        parts["records"].append(np.full(labels.size, str(data["record"])))
        for key in ("symbols", "samples", "rr_features", "rhythms"):
            parts[key].append(data[key][in_task])
    arrays = {key: np.concatenate(values) for key, values in parts.items()}
    if require_every_class:
        require_all_classes(arrays["labels"], names, task, "the chosen records")
    DATASET.save(
        dataset,
        class_names=np.array(names),
        record_ids=np.array(record_ids),
        median_beats=np.stack(median_beats),
        **arrays,
    )
    per_class = np.bincount(arrays["labels"], minlength=len(names))
    _write_class_counts(counts, names, per_class, class_map)
    write_table_view(counts)
    summary = dict(zip(names, per_class.tolist(), strict=True))
    logger.info("task %s: %d beats; %s", task, per_class.sum(), summary)
    return summary


def _write_class_counts(
    path: str | Path, names: list[str], counts: np.ndarray, class_map: Mapping[str, str]
) -> None:
    """TSV: class, its symbols (comma-separated), beats, share of all beats (4 decimals)."""
    total = counts.sum()
    lines = ["class\tsymbols\tbeats\tshare\n"]
    for name, count in zip(names, counts, strict=True):
        symbols = ",".join(s for s, c in class_map.items() if c == name)
        share = count / total if total else 0.0  # no beats: refused by the caller
        lines.append(f"{name}\t{symbols}\t{count}\t{share:.4f}\n")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as table:
        table.writelines(lines)


def summarise_beats(beats: Sequence[str | Path], table: str | Path) -> None:
    """Per record of the beats files `beats`: lead, beats kept, edge drops, and per symbol the
    beats kept and dropped; a TSV with one row per record, written to `table`, and its HTML view."""
    rows = []
    for path in beats:
        data = RECORD_BEATS.load(path)
        kept = pd.Series(data["symbols"]).value_counts()
        dropped = pd.Series(data["dropped_symbols"]).value_counts()
        row = {
            "record": str(data["record"]),
            "lead": str(data["lead"]),
            "beats": int(data["beats"].shape[0]),
            "edge_drops": int(data["edge_drops"]),
        }
        for symbol in sorted(set(kept.index) | set(dropped.index)):
            row[f"kept {symbol}"] = int(kept.get(symbol, 0))
            row[f"dropped {symbol}"] = int(dropped.get(symbol, 0))
        rows.append(row)
    summary = pd.DataFrame(rows).fillna(0)
    count_columns = [c for c in summary.columns if c.startswith(("kept ", "dropped "))]
    summary[count_columns] = summary[count_columns].astype(int)
    summary = summary[["record", "lead", "beats", "edge_drops", *sorted(count_columns)]]
    Path(table).parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(table, sep="\t", index=False)
    write_table_view(table)
    logger.info(
        "%d records, %d beats, %d edge drops",
        len(summary),
        summary.beats.sum(),
        summary.edge_drops.sum(),
    )
