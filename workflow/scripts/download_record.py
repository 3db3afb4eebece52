"""Snakemake glue: download the files of one record that are missing or fail their checksum."""

from pathlib import Path

from _common import logged
from ecgbeats.download import fetch_record, file_url, read_checksums

with logged(snakemake) as log:
    record = snakemake.wildcards.record
    directory = Path(snakemake.output[0]).parent
    base_url, database = snakemake.params.base_url, snakemake.params.database
    log.info("record %s: fetching from %s", record, file_url(base_url, database, ""))
    fetched = fetch_record(
        record, directory, read_checksums(snakemake.input.checksums), base_url, database
    )
    kept = sorted(set(map(Path, snakemake.output)) - set(fetched))
    log.info("downloaded and verified: %s", ", ".join(p.name for p in fetched) or "nothing")
    log.info("already present and verified: %s", ", ".join(p.name for p in kept) or "nothing")
