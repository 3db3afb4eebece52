"""Rule train_model: ecgbeats.stages.training.train_model."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.training import train_model

run_rule(snakemake, train_model, threads=True)
