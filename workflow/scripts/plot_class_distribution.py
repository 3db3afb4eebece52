"""Snakemake glue for ecgbeats.stages.datasets_figures.plot_class_distribution."""

from ecgbeats.runtime import logged
from ecgbeats.stages.datasets_figures import plot_class_distribution

with logged(snakemake.log, snakemake.rule):
    plot_class_distribution(
        snakemake.input.counts, snakemake.output.figure, task=snakemake.params.task
    )
