"""Rule plot_evaluation: ecgbeats.stages.evaluation_figures.plot_evaluation."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.evaluation_figures import plot_evaluation

run_rule(snakemake, plot_evaluation)
