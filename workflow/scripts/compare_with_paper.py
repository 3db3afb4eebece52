"""Snakemake glue of rule compare_with_paper: our test metrics beside the paper's table."""

from ecgbeats.runtime import logged
from ecgbeats.stages.evaluation import compare_with_paper

with logged(snakemake.log, snakemake.rule):
    compare_with_paper(snakemake.input.metrics, snakemake.input.paper, snakemake.output[0])
