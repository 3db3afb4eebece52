"""Rule explain_classified_record: ecgbeats.stages.beat_shap.explain_classified_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.beat_shap import explain_classified_record

run_rule(snakemake, explain_classified_record, threads=True)
