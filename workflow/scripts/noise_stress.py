"""Rule noise_stress: ecgbeats.stages.noise.noise_stress."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.noise import noise_stress

run_rule(snakemake, noise_stress, threads=True)
