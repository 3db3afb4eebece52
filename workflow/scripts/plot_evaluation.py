"""Snakemake glue of rule plot_evaluation: confusion matrices, ROC, PR and training curves."""

from ecgbeats.runtime import logged
from ecgbeats.stages.evaluation_figures import plot_evaluation

with logged(snakemake.log, snakemake.rule):
    plot_evaluation(
        snakemake.input.predictions,
        snakemake.input.metrics,
        snakemake.input.history,
        confusion_matrix=snakemake.output.confusion_matrix,
        roc=snakemake.output.roc,
        pr=snakemake.output.pr,
        training_curves=snakemake.output.training_curves,
        task=snakemake.wildcards.task,
        split=snakemake.wildcards.split,
    )
