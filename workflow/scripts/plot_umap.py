"""Rule plot_umap: ecgbeats.stages.interpret_figures.plot_umap."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.interpret_figures import plot_umap

run_rule(snakemake, plot_umap)
