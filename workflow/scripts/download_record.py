"""Snakemake glue for ecgbeats.stages.data.download_record."""

from pathlib import Path

from ecgbeats.download import DownloadOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.data import download_record

params = snakemake.params
with logged(snakemake.log, snakemake.rule):
    download_record(
        params.record,
        snakemake.input.checksums,
        Path(snakemake.output[0]).parent,
        DownloadOptions(base_url=params.base_url, database=params.database),
    )
