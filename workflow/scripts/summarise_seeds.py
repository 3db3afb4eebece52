"""Rule summarise_seeds: ecgbeats.stages.evaluation.summarise_seeds."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.evaluation import summarise_seeds

run_rule(snakemake, summarise_seeds)
