"""Snakemake glue: test-beat metrics with beats placed by the detector, not the annotations."""

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.detected_beats import evaluate_detected_beats

found, params = snakemake.input, snakemake.params
with logged(snakemake.log, snakemake.rule, threads=snakemake.threads):
    evaluate_detected_beats(
        found.dataset,
        found.split,
        found.model,
        found.detections,
        found.headers,
        leads=params.leads,
        denoising=DenoisingOptions(**params.denoise),
        window=BeatOptions(**params.beats),
        metrics=snakemake.output.metrics,
        per_record=snakemake.output.per_record,
    )
