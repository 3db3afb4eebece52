"""Figure of the datasets stage: rule plot_class_distribution.

Apart from ecgbeats.stages.datasets, whose rule's outputs other rules read: only figure rules
import the plotting code, so editing it reruns figures only.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ecgbeats.plots import class_distribution


def plot_class_distribution(counts: str | Path, figure: str | Path, task: str) -> None:
    """Bar chart of the beats per class of `task` from its class-count TSV `counts` (written by
    build_dataset), saved to `figure` (PNG)."""
    table = pd.read_csv(counts, sep="\t")
    drawn = class_distribution(
        table["class"].tolist(),
        table["beats"].to_numpy(),
        f"Beats per class, task {task} ({table.beats.sum():,} beats)",
    )
    Path(figure).parent.mkdir(parents=True, exist_ok=True)
    drawn.savefig(figure, dpi=150)
    plt.close(drawn)
