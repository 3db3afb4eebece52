"""Snakemake glue: one new recording -> beat classes (CSV), WFDB `pred` annotations, strip plot."""

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.rpeaks import DetectorOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.classify import ClassifyOptions, classify_record

params = snakemake.params
with logged(snakemake.log, snakemake.rule, threads=snakemake.threads):
    classify_record(
        snakemake.input.header,
        snakemake.input.model,
        ClassifyOptions(**params.options),
        leads=params.leads,
        denoising=DenoisingOptions(**params.denoise),
        window=BeatOptions(**params.beats),
        detector=DetectorOptions(**params.detector),
        **snakemake.output,
    )
