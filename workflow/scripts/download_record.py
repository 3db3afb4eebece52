"""Rule download_record: ecgbeats.stages.data.download_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.data import download_record

run_rule(snakemake, download_record)
