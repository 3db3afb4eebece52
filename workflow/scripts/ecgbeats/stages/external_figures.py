"""Figure of an external database's evaluation (rule plot_external): the confusion matrix.

Drawn from what ecgbeats.stages.external wrote: no model, no torch.
"""

from __future__ import annotations

from pathlib import Path

from ecgbeats import metrics, plots
from ecgbeats.artifacts import PREDICTIONS, class_names


def plot_external(
    predictions: str | Path, confusion_matrix: str | Path, database: str, split: str, task: str
) -> None:
    """The confusion matrix (counts, row-normalised) of one model on one database (PNG)."""
    saved = PREDICTIONS.load(predictions)
    names = class_names(saved)
    counts, normalised = metrics.confusion_matrices(saved["y_true"], saved["y_pred"], len(names))
    title = f"{task} classes ({split} model) on {database} (n={saved['y_true'].size:,})"
    plots.save(plots.confusion_matrix_panels(counts, normalised, names, title), confusion_matrix)
