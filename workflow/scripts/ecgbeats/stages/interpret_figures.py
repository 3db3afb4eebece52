"""Figures of the interpretation stages: the UMAP scatter and the SHAP grid and class profiles.

Drawn from the UMAP table and the SHAP npz alone: no model, no torch, no dataset.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ecgbeats import plots
from ecgbeats.artifacts import PREDICTIONS, SHAP_VALUES, class_names, read_umap_table
from ecgbeats.errors import InputError

logger = logging.getLogger(__name__)

#: How the figure names the embedded layer (UMAP ``layer`` setting).
LAYER_NAMES = {"hidden": "last hidden layer", "logits": "logits"}


def plot_umap(
    table: str | Path,
    predictions: str | Path,
    figure: str | Path,
    layer: str,
    task: str,
    split: str,
) -> None:
    """The UMAP scatter (PNG) of the table written by embed_umap, by true and predicted class.

    Classes keep the order (and so the colours) of the predictions' class names; `layer` is the
    embedded layer (hidden or logits), `task` and `split` (intra, inter) name the figure.
    """
    saved = PREDICTIONS.load(predictions)
    names = class_names(saved)
    points_table = read_umap_table(table)
    position = {name: c for c, name in enumerate(names)}
    found = set(points_table["true_class"]).union(points_table["predicted_class"])
    unknown = sorted(found - set(position))
    if unknown:
        raise InputError(
            f"{table}: classes {unknown} are not among the classes {names} of {predictions} "
            "(out of date with each other; rerun the workflow)"
        )
    y_true = points_table["true_class"].map(position).to_numpy(dtype=np.int64)
    y_pred = points_table["predicted_class"].map(position).to_numpy(dtype=np.int64)
    points = points_table[["umap_1", "umap_2"]].to_numpy(dtype=np.float64)
    title = (
        f"UMAP of the CNN's {LAYER_NAMES.get(layer, layer)}: {task} classes, {split}-patient "
        f"test part ({len(points_table):,} of {saved['index'].size:,} beats)"
    )
    plots.save(plots.umap_scatter(points, y_true, y_pred, names, title), figure, dpi=150)
    logger.info("wrote %s (%d beats)", figure, len(points_table))


#: The grid's first column: what the model saw, per ecgbeats.model.BEAT_REFERENCES.
BEAT_LABELS = {"none": "beat", "record_median": "beat − record's median"}


def plot_shap(
    values: str | Path, grid: str | Path, profile: str | Path, task: str, split: str
) -> None:
    """The SHAP grid and the per-class profile figures (PNG) of the npz written by explain_shap;
    `task` and `split` (intra, inter) name them."""
    saved = SHAP_VALUES.load(values)
    names = class_names(saved)
    explainer = str(saved["explainer"])
    r_peak = int(saved["r_peak"])
    rr_names = [str(name) for name in saved["rr_features"]]
    split_task = f"{task} classes, {split}-patient test"
    grid_figure = plots.shap_grid(
        saved["grid_beats"],
        saved["grid_shap"],
        saved["grid_y_true"],
        saved["grid_y_pred"],
        saved["grid_confidence"],
        [str(role) for role in saved["grid_role"]],
        names,
        r_peak,
        f"SHAP ({explainer}) of each class's logit, {split_task} "
        f"({saved['background_index'].size} background beats)",
        rr_names,
        BEAT_LABELS[str(saved["beat_reference"])],
    )
    plots.save(grid_figure, grid, dpi=150)
    profile_figure = plots.shap_profile(
        saved["profile_mean_abs_shap"],
        saved["profile_mean_beat"],
        saved["profile_std_beat"],
        saved["profile_counts"],
        names,
        r_peak,
        f"Mean |SHAP| of each class's own logit over its test beats, {split_task}",
        rr_names,
    )
    plots.save(profile_figure, profile, dpi=150)
    logger.info("wrote %s and %s", grid, profile)
