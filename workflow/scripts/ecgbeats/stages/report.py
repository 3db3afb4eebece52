"""Report stage: the summary table of all tasks beside the paper (TSV and its HTML view)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ecgbeats import metrics, summary
from ecgbeats.artifacts import read_table, write_table
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


def summary_table(
    metrics_tables: Sequence[str | Path],
    tasks: Sequence[str],
    comparisons: Sequence[str | Path],
    paper_tasks: Sequence[str],
    table: str | Path,
) -> None:
    """Every task's test metrics (`metrics_tables`, one per task of `tasks`) beside the paper's
    (`comparisons`, one per task of `paper_tasks`); write the summary table and its HTML view."""
    ours = {
        task: metrics.read_metrics_table(path)
        for task, path in zip(tasks, metrics_tables, strict=True)
    }
    papers = {
        task: read_table(path, text_columns=("class",), required=("class",))
        for task, path in zip(paper_tasks, comparisons, strict=True)
    }
    result = summary.summary_table(ours, papers)
    write_table(table, result, float_format="%.4f")
    write_table_view(table)
    logger.info("summary of task(s) %s:\n%s", ", ".join(tasks), result.to_string(index=False))
