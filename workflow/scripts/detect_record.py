"""Rule detect_record: ecgbeats.stages.detection.detect_record."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.detection import detect_record

run_rule(snakemake, detect_record)
