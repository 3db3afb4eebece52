"""Rule preprocess_record: ecgbeats.stages.preprocess.preprocess_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.preprocess import preprocess_record

run_rule(snakemake, preprocess_record)
