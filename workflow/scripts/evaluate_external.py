"""Rule evaluate_external: ecgbeats.stages.external.evaluate_external."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.external import evaluate_external

run_rule(snakemake, evaluate_external)
