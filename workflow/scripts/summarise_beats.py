"""Snakemake glue for ecgbeats.stages.preprocess.summarise_beats."""

from ecgbeats.runtime import logged
from ecgbeats.stages.datasets import summarise_beats

with logged(snakemake.log, snakemake.rule):
    summarise_beats(snakemake.input.beats, snakemake.output.table)
