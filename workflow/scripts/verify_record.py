"""Rule verify_record: ecgbeats.stages.data.verify_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.data import verify_record

run_rule(snakemake, verify_record)
