"""Rule build_external_dataset: ecgbeats.stages.external_training.build_external_dataset."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.external_training import build_external_dataset

run_rule(snakemake, build_external_dataset)
