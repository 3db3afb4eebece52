"""Rule plot_external: ecgbeats.stages.external_figures.plot_external."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.external_figures import plot_external

run_rule(snakemake, plot_external)
