"""Predicted classes as WFDB annotations: one MIT-BIH beat symbol per class, `wrann` output."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import wfdb

from ecgbeats.classes import symbol_for_class
from ecgbeats.errors import InputError
from ecgbeats.records import BEAT_SYMBOLS


def annotation_symbols(
    class_names: Sequence[str],
    symbol_map: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
    task: str = "",
) -> list[str]:
    """The MIT-BIH symbol written for each class: the first symbol mapping to it, or an override.

    Overrides let a grouped class use the symbol WFDB tools expect (AAMI Q -> `Q`, not `/`).
    """
    first = symbol_for_class(symbol_map)
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(class_names))
    if unknown:
        raise InputError(
            f"annotation symbols of task {task}: unknown class(es) {', '.join(unknown)}; the "
            f"task has {', '.join(class_names)}"
        )
    symbols = []
    for name in class_names:
        symbol = overrides.get(name, first.get(name))
        if symbol is None:
            raise InputError(f"task {task}: class {name} has no MIT-BIH symbol in its class map")
        if symbol not in BEAT_SYMBOLS:
            raise InputError(
                f"annotation symbols of task {task}: {symbol!r} for class {name} is not a "
                "MIT-BIH beat symbol"
            )
        symbols.append(symbol)
    return symbols


def write_annotations(
    path: str | Path, samples: np.ndarray, symbols: Sequence[str], fs: float, extension: str
) -> Path:
    """Write `path`.`extension` (a WFDB annotation file) with one beat label per sample."""
    path = Path(path)
    samples = np.asarray(samples, dtype=np.int64)
    if samples.size == 0:
        raise InputError(f"record {path.name}: no beats to write to {path}.{extension}")
    path.parent.mkdir(parents=True, exist_ok=True)
    wfdb.wrann(
        path.name,
        extension,
        samples,
        symbol=list(symbols),
        fs=fs,
        write_dir=str(path.parent),
    )
    return path.parent / f"{path.name}.{extension}"
