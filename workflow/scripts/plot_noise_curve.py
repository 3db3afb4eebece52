"""Rule plot_noise_curve: ecgbeats.stages.noise_figures.plot_noise_curve."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.noise_figures import plot_noise_curve

run_rule(snakemake, plot_noise_curve)
