"""Snakemake glue of rule plot_umap: the figure of the UMAP table."""

from ecgbeats.runtime import logged
from ecgbeats.stages.interpret_figures import plot_umap

with logged(snakemake.log, snakemake.rule):
    plot_umap(
        snakemake.input.table,
        snakemake.input.predictions,
        figure=snakemake.output.figure,
        layer=snakemake.params.layer,
        task=snakemake.wildcards.task,
        split=snakemake.wildcards.split,
    )
