"""Rule compare_with_paper: ecgbeats.stages.evaluation.compare_with_paper."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.evaluation import compare_with_paper

run_rule(snakemake, compare_with_paper)
