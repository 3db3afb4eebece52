"""Rule plot_shap: ecgbeats.stages.interpret_figures.plot_shap."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.interpret_figures import plot_shap

run_rule(snakemake, plot_shap)
