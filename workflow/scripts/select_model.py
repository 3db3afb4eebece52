"""Rule select_model: ecgbeats.stages.training.select_model."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.training import select_model

run_rule(snakemake, select_model)
