"""Rule summary_table: ecgbeats.stages.report.summary_table."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.report import summary_table

run_rule(snakemake, summary_table)
