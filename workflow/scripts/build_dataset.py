"""Snakemake glue for ecgbeats.stages.datasets.build_dataset."""

from ecgbeats.runtime import logged
from ecgbeats.stages.datasets import build_dataset

with logged(snakemake.log, snakemake.rule):
    build_dataset(
        snakemake.input.beats,
        snakemake.output.dataset,
        snakemake.output.counts,
        task=snakemake.wildcards.task,
        class_map=snakemake.params.class_map,
    )
