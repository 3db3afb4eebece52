"""Snakemake glue of rule evaluate_model: the model on its test part (metrics, predictions)."""

from ecgbeats.runtime import logged
from ecgbeats.stages.evaluation import EvaluationOptions, evaluate_model

with logged(snakemake.log, snakemake.rule, threads=snakemake.threads):
    evaluate_model(
        snakemake.input.dataset,
        snakemake.input.split,
        snakemake.input.model,
        metrics_table=snakemake.output.metrics,
        predictions=snakemake.output.predictions,
        options=EvaluationOptions(**snakemake.params),
    )
