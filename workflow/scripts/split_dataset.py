"""Rule split_dataset: ecgbeats.stages.splitting.split_dataset."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.splitting import split_dataset

run_rule(snakemake, split_dataset)
