"""Snakemake glue: per-record and gross Se / +P of the R-peak detector (AAMI EC57, 150 ms)."""

from ecgbeats.runtime import logged
from ecgbeats.stages.detection import evaluate_detector

with logged(snakemake.log, snakemake.rule):
    evaluate_detector(
        snakemake.input.detections,
        gross=snakemake.output.gross,
        per_record=snakemake.output.per_record,
    )
