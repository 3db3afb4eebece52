"""Rule summarise_beats: ecgbeats.stages.datasets.summarise_beats."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.datasets import summarise_beats

run_rule(snakemake, summarise_beats)
