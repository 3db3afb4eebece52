"""Figure of the noise stress test (rule plot_noise_curve): each metric against the SNR.

Drawn from the table ecgbeats.stages.noise wrote: no model, no torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecgbeats import metrics, plots
from ecgbeats.artifacts import read_table

#: Panels: the overall accuracy, then the macro average of each metric of the metrics table.
PANELS = ("overall_accuracy", "precision", "recall", "f1", "roc_auc", "average_precision")


def plot_noise_curve(curve: str | Path, figure: str | Path, split: str, task: str) -> None:
    """Each metric of the macro-average rows of `curve` against the SNR, per noise source."""
    table = read_table(curve, text_columns=("source", "class", "noise"))
    macro = table[table["class"] == metrics.MACRO]
    clean_rows = macro[~np.isfinite(macro["snr_db"])]
    noisy = macro[np.isfinite(macro["snr_db"])]
    labels = {m: ("overall accuracy" if m == "overall_accuracy" else f"macro {m}") for m in PANELS}
    snrs = sorted(set(noisy["snr_db"]), reverse=True)
    curves = {
        labels[m]: {
            source: rows.set_index("snr_db").reindex(snrs)[m].to_numpy()
            for source, rows in noisy.groupby("source", sort=False)
        }
        for m in PANELS
    }
    clean = {labels[m]: float(clean_rows[m].iloc[0]) for m in PANELS if len(clean_rows)}
    origin = ", ".join(sorted(set(noisy["noise"]))) or "no"
    title = f"{task} classes ({split} model), test part with {origin} noise"
    plots.save(plots.noise_curves(snrs, curves, clean, title), figure)
