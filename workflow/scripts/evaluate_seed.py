"""Rule evaluate_seed: ecgbeats.stages.evaluation.evaluate_model."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.evaluation import evaluate_model

run_rule(snakemake, evaluate_model, threads=True)
