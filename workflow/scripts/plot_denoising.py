"""Snakemake glue for ecgbeats.stages.preprocess_figures.plot_denoising."""

from ecgbeats.denoising import DenoisingOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.preprocess_figures import plot_denoising

params = snakemake.params
with logged(snakemake.log, snakemake.rule):
    start_s, seconds = params.window
    plot_denoising(
        snakemake.input.header,
        snakemake.output.figure,
        leads=params.leads,
        denoising=DenoisingOptions(**params.denoise),
        start_s=start_s,
        seconds=seconds,
    )
