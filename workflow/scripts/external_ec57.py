"""Rule external_ec57: ecgbeats.stages.ec57.ec57_table."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.ec57 import ec57_table

run_rule(snakemake, ec57_table)
