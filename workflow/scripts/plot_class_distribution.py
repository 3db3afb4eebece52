"""Rule plot_class_distribution: ecgbeats.stages.datasets_figures.plot_class_distribution."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.datasets_figures import plot_class_distribution

run_rule(snakemake, plot_class_distribution)
