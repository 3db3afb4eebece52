"""Snakemake glue of rule summary_table: every task's test metrics beside the paper's."""

from ecgbeats.runtime import logged
from ecgbeats.stages.report import summary_table

with logged(snakemake.log, snakemake.rule):
    summary_table(
        snakemake.input.metrics,
        snakemake.params.tasks,
        snakemake.input.comparisons,
        snakemake.params.paper_tasks,
        table=snakemake.output.table,
    )
