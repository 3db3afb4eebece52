"""Rule plot_denoising: ecgbeats.stages.preprocess_figures.plot_denoising."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.preprocess_figures import plot_denoising

run_rule(snakemake, plot_denoising)
