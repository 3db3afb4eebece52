"""Figures of a model's test evaluation: confusion matrices, ROC and PR curves, training curves.

Drawn from what evaluate_model wrote (predictions, metrics table) and the training history.
"""

import matplotlib.pyplot as plt
import pandas as pd

from _common import load_predictions, logged
from ecgbeats import metrics, plots
from ecgbeats.errors import InputError

with logged(snakemake):
    split_name = snakemake.wildcards.split
    task = snakemake.wildcards.task
    predictions = load_predictions(snakemake.input.predictions)
    y_true, y_pred = predictions["y_true"], predictions["y_pred"]
    probabilities, class_names = predictions["probabilities"], predictions["class_names"]
    table = pd.read_csv(
        snakemake.input.metrics,
        sep="\t",
        dtype={"class": str},
        keep_default_na=False,  # class names such as "N" or "NA" are not missing values
        na_values=["NaN"],
    )
    k = len(class_names)
    per_class = table.iloc[:k]
    if per_class["class"].tolist() != class_names:
        raise InputError(
            f"{snakemake.input.metrics}: class rows {per_class['class'].tolist()} differ from "
            f"the classes {class_names} of {snakemake.input.predictions} (inputs out of date?)"
        )

    title = f"{task} classes, {split_name}-patient test part (n={y_true.size:,})"
    counts, normalised = metrics.confusion_matrices(y_true, y_pred, k)
    history = pd.read_csv(snakemake.input.history, sep="\t")
    epoch, series, best_epoch = metrics.training_history_series(
        history, source=snakemake.input.history
    )
    figures = {
        "confusion_matrix": plots.confusion_matrix_panels(counts, normalised, class_names, title),
        "roc": plots.roc_curves(
            metrics.roc_curves(y_true, probabilities),
            per_class["roc_auc"].to_numpy(),
            class_names,
            f"ROC one-vs-rest, {title}",
        ),
        "pr": plots.pr_curves(
            metrics.pr_curves(y_true, probabilities),
            per_class["average_precision"].to_numpy(),
            class_names,
            f"precision-recall one-vs-rest, {title}",
        ),
        "training_curves": plots.training_curves(
            epoch, series, best_epoch, f"training of the {task}-class model ({split_name})"
        ),
    }
    for name, figure in figures.items():
        figure.savefig(snakemake.output[name], dpi=150)
        plt.close(figure)
