"""Rule explain_shap: ecgbeats.stages.explanation.explain_shap."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.explanation import explain_shap

run_rule(snakemake, explain_shap, threads=True)
