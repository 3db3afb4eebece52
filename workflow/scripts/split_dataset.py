"""Snakemake glue for ecgbeats.stages.training.split_dataset."""

from ecgbeats.runtime import logged
from ecgbeats.splits import SPLIT_OPTIONS
from ecgbeats.stages.splitting import split_dataset

params = snakemake.params
with logged(snakemake.log, snakemake.rule):
    split_dataset(
        snakemake.input.dataset,
        snakemake.output.split,
        snakemake.output.counts,
        options=SPLIT_OPTIONS[params.scheme](**params.split),
    )
