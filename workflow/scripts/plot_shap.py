"""Snakemake glue of rule plot_shap: SHAP grid and per-class profile figures."""

from ecgbeats.runtime import logged
from ecgbeats.stages.interpret_figures import plot_shap

with logged(snakemake.log, snakemake.rule):
    plot_shap(
        snakemake.input.values,
        grid=snakemake.output.grid,
        profile=snakemake.output.profile,
        task=snakemake.wildcards.task,
        split=snakemake.wildcards.split,
    )
