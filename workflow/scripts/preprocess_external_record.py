"""Rule preprocess_external_record: its stage in ecgbeats.stages.external_training."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.external_training import preprocess_external_record

run_rule(snakemake, preprocess_external_record)
