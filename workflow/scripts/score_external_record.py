"""Rule score_external_record: ecgbeats.stages.external.score_external_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.external import score_external_record

run_rule(snakemake, score_external_record, threads=True)
