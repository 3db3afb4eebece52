"""The HTML report's headline table: every task's test metrics next to the paper's.

Its HTML view, like that of every TSV report item, is made by ecgbeats.table_views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ecgbeats.errors import InputError

#: Rows of a metrics table that hold averages over the classes (see ``ecgbeats.metrics``).
AVERAGE_ROWS: tuple[str, ...] = ("macro avg", "weighted avg")
#: Metric columns in the order the summary shows them; metrics absent from a table are skipped.
SUMMARY_METRICS: tuple[str, ...] = (
    "precision",
    "recall",
    "f1",
    "accuracy",
    "roc_auc",
    "average_precision",
)


def _check_columns(table: pd.DataFrame, required: Sequence[str], source: str) -> None:
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {missing} (columns: {list(table.columns)})")


def summary_table(
    metrics: Mapping[str, pd.DataFrame],
    comparisons: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Per task: the macro and weighted averages, then the per-class rows, ours beside the paper.

    ``metrics`` maps task name to its metrics table (``class``, ``support``, metric columns);
    ``comparisons`` maps task name to its paper comparison (``class``, ``<metric>_paper``). Tasks
    without a comparison, and values the paper does not report, get NaN in the ``_paper``
    columns. Columns: ``task``, ``row`` (``average`` or ``class``), ``class``, ``support``, then
    ``<metric>_ours`` and ``<metric>_paper`` for every metric of :data:`SUMMARY_METRICS` present.
    """
    comparisons = comparisons or {}
    unknown = sorted(set(comparisons) - set(metrics))
    if unknown:
        raise InputError(f"paper comparison for task(s) {unknown} without a metrics table")
    if not metrics:
        raise InputError("no metrics table to summarise")
    present = [m for m in SUMMARY_METRICS if all(m in t.columns for t in metrics.values())]
    if not present:
        raise InputError(f"metrics tables share none of the metrics {list(SUMMARY_METRICS)}")
    parts = []
    for task, ours in metrics.items():
        _check_columns(ours, ["class", "support"], f"metrics table of task {task}")
        missing_averages = [r for r in AVERAGE_ROWS if r not in set(ours["class"])]
        if missing_averages:
            raise InputError(f"metrics table of task {task}: no row(s) {missing_averages}")
        ours = ours.set_index("class", drop=False)
        order = [*AVERAGE_ROWS, *(c for c in ours.index if c not in AVERAGE_ROWS)]
        part = pd.DataFrame(
            {
                "task": task,
                "row": ["average" if c in AVERAGE_ROWS else "class" for c in order],
                "class": order,
                "support": ours.loc[order, "support"].to_numpy(),
            }
        )
        paper = comparisons.get(task)
        if paper is not None:
            _check_columns(paper, ["class"], f"paper comparison of task {task}")
            paper = paper.set_index("class").reindex(order)
        for metric in present:
            part[f"{metric}_ours"] = ours.loc[order, metric].to_numpy(dtype=np.float64)
            column = f"{metric}_paper"
            part[column] = (
                paper[column].to_numpy(dtype=np.float64)
                if paper is not None and column in paper.columns
                else np.nan
            )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
