"""Figures of the SHAP values written by explain_shap: grid of representative beats, class profiles.

Everything drawn is in the npz (beats, values, class profiles, R-peak position): no model needed.
"""

import matplotlib.pyplot as plt
import numpy as np

from _common import logged
from ecgbeats import plots

with logged(snakemake):
    with np.load(snakemake.input.values, allow_pickle=False) as saved:
        values = {name: saved[name] for name in saved.files}
    class_names = [str(c) for c in values["class_names"]]
    explainer = str(values["explainer"])
    r_peak = int(values["r_peak"])

    split_task = f"{snakemake.wildcards.task} classes, {snakemake.wildcards.split}-patient test"
    grid = plots.shap_grid(
        values["grid_beats"],
        values["grid_shap"],
        values["grid_y_true"],
        values["grid_y_pred"],
        values["grid_confidence"],
        [str(role) for role in values["grid_role"]],
        class_names,
        r_peak,
        f"SHAP ({explainer}) of each class's logit, {split_task} "
        f"({values['background_index'].size} background beats)",
    )
    grid.savefig(snakemake.output.grid, dpi=150)
    plt.close(grid)
    profile = plots.shap_profile(
        values["profile_mean_abs_shap"],
        values["profile_mean_beat"],
        values["profile_std_beat"],
        values["profile_counts"],
        class_names,
        r_peak,
        f"Mean |SHAP| of each class's own logit over its test beats, {split_task}",
    )
    profile.savefig(snakemake.output.profile, dpi=150)
    plt.close(profile)
