"""Rule classify_record: ecgbeats.stages.classify.classify_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.classify import classify_record

run_rule(snakemake, classify_record, threads=True)
