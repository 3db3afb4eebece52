"""Snakemake glue: class-distribution bar chart of a task's dataset."""

import matplotlib.pyplot as plt
import pandas as pd

from _common import logged
from ecgbeats.plots import class_distribution

with logged(snakemake):
    counts = pd.read_csv(snakemake.input.counts, sep="\t")
    figure = class_distribution(
        counts["class"].tolist(),
        counts["beats"].to_numpy(),
        f"Beats per class, task {snakemake.wildcards.task} ({counts.beats.sum():,} beats)",
    )
    figure.savefig(snakemake.output.figure, dpi=150)
    plt.close(figure)
