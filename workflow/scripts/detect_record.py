"""Snakemake glue: XQRS R peaks of one MIT-BIH record, matched to its beat annotations."""

from ecgbeats.denoising import DenoisingOptions
from ecgbeats.rpeaks import DetectorOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.detection import detect_record

with logged(snakemake.log, snakemake.rule):
    detect_record(
        snakemake.input.header,
        leads=snakemake.params.leads,
        denoising=DenoisingOptions(**snakemake.params.denoise),
        detector=DetectorOptions(**snakemake.params.detector),
        detections=snakemake.output.detections,
    )
