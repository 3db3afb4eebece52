"""MIT-BIH beat symbols to the classes of a task (six, ten, AAMI)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ecgbeats.errors import InputError


def class_names(symbol_map: Mapping[str, str]) -> list[str]:
    """Class names in first-appearance order of the map (the order of labels and outputs)."""
    return list(dict.fromkeys(symbol_map.values()))


def label_symbols(
    symbols: np.ndarray, symbol_map: Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Labels of the beats whose symbol the task uses.

    Returns (mask of beats in the task, int64 labels of those beats, class names).
    """
    names = class_names(symbol_map)
    index = {name: i for i, name in enumerate(names)}
    symbols = np.asarray(symbols, dtype=str)
    in_task = np.isin(symbols, list(symbol_map))
    labels = np.asarray([index[symbol_map[s]] for s in symbols[in_task]], dtype=np.int64)
    return in_task, labels, names


def require_all_classes(labels: np.ndarray, names: list[str], task: str, where: str) -> None:
    """Fail naming the classes of `task` that have no beat in `where`."""
    counts = np.bincount(labels, minlength=len(names))
    absent = [name for name, count in zip(names, counts, strict=True) if count == 0]
    if absent:
        raise InputError(
            f"task {task}: class(es) {', '.join(absent)} have no beats in {where}; add records "
            "that hold them, or drop the classes from the task's class map"
        )


def symbol_for_class(symbol_map: Mapping[str, str]) -> dict[str, str]:
    """The first MIT-BIH symbol mapped to each class (used to write predicted annotations)."""
    first: dict[str, str] = {}
    for symbol, name in symbol_map.items():
        first.setdefault(name, symbol)
    return first
