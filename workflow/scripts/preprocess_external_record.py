"""Rule preprocess_external_record: ecgbeats.stages.external_training.preprocess_external_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.external_training import preprocess_external_record

run_rule(snakemake, preprocess_external_record)
