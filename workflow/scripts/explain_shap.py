"""Snakemake glue of rule explain_shap: SHAP values of the CNN's logits (npz)."""

from ecgbeats.runtime import logged
from ecgbeats.stages.explanation import ShapOptions, explain_shap

with logged(snakemake.log, snakemake.rule, threads=snakemake.threads):
    settings = {k: v for k, v in snakemake.params.items() if k != "r_peak"}
    explain_shap(
        snakemake.input.dataset,
        snakemake.input.split,
        snakemake.input.predictions,
        snakemake.input.model,
        values=snakemake.output.values,
        options=ShapOptions(**settings),
        r_peak=snakemake.params.r_peak,
    )
