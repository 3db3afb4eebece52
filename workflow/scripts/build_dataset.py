"""Rule build_dataset: ecgbeats.stages.datasets.build_dataset."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.datasets import build_dataset

run_rule(snakemake, build_dataset)
