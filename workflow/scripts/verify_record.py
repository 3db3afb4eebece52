"""Snakemake glue for ecgbeats.stages.data.verify_record."""

from pathlib import Path

from ecgbeats.runtime import logged
from ecgbeats.stages.data import verify_record

with logged(snakemake.log, snakemake.rule):
    verify_record(
        snakemake.params.record,
        Path(snakemake.input.files[0]).parent,
        snakemake.input.checksums,
        digests=snakemake.output.digests,
        links=Path(snakemake.output.header).parent,
    )
