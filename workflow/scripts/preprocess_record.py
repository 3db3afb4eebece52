"""Snakemake glue for ecgbeats.stages.preprocess.preprocess_record."""

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.preprocess import preprocess_record

params = snakemake.params
with logged(snakemake.log, snakemake.rule):
    preprocess_record(
        snakemake.input.header,
        snakemake.output.beats,
        leads=params.leads,
        denoising=DenoisingOptions(**params.denoise),
        window=BeatOptions(**params.beats),
    )
