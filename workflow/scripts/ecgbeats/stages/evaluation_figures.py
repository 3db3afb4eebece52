"""Figures of the evaluation: confusion matrices, ROC and PR curves, training curves.

Drawn from what ecgbeats.stages.evaluation wrote (predictions, metrics table) and the training
history: no model, no torch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ecgbeats import metrics, plots
from ecgbeats.artifacts import PREDICTIONS, class_names, read_history, require_same_classes

logger = logging.getLogger(__name__)


def plot_evaluation(
    predictions: str | Path,
    metrics_table: str | Path,
    history: str | Path,
    confusion_matrix: str | Path,
    roc: str | Path,
    pr: str | Path,
    training_curves: str | Path,
    task: str,
    split: str,
) -> None:
    """Write the four evaluation figures (PNG); `task` and `split` (intra, inter) name them."""
    saved = PREDICTIONS.load(predictions)
    names = class_names(saved)
    y_true, y_pred, probabilities = saved["y_true"], saved["y_pred"], saved["probabilities"]
    table = metrics.read_metrics_table(metrics_table)
    k = len(names)
    per_class = table.iloc[:k]
    require_same_classes(per_class["class"].tolist(), names, metrics_table, predictions)
    epoch, series, best_epoch = metrics.training_history_series(
        read_history(history), source=str(history)
    )

    title = f"{task} classes, {split}-patient test part (n={y_true.size:,})"
    counts, normalised = metrics.confusion_matrices(y_true, y_pred, k)
    figures = {
        confusion_matrix: plots.confusion_matrix_panels(counts, normalised, names, title),
        roc: plots.roc_curves(
            metrics.roc_curves(y_true, probabilities),
            per_class["roc_auc"].to_numpy(),
            names,
            f"ROC one-vs-rest, {title}",
        ),
        pr: plots.pr_curves(
            metrics.pr_curves(y_true, probabilities),
            per_class["average_precision"].to_numpy(),
            names,
            f"precision-recall one-vs-rest, {title}",
        ),
        training_curves: plots.training_curves(
            epoch, series, best_epoch, f"training of the {task}-class model ({split})"
        ),
    }
    for path, figure in figures.items():
        plots.save(figure, path, dpi=150)
        logger.info("wrote %s", path)
