"""Snakemake glue: check one record's files against the checksum list; write their digests and
the links through which later stages read the verified files."""

from pathlib import Path

from _common import logged
from ecgbeats.download import link_files, read_checksums, verify_record_files

with logged(snakemake) as log:
    record = snakemake.params.record
    directory = Path(snakemake.input.files[0]).parent
    digests = verify_record_files(directory, record, read_checksums(snakemake.input.checksums))
    # sha256sum format, so `sha256sum -c` in the data folder can recheck the files.
    lines = [f"{digest}  {name}\n" for name, digest in digests.items()]
    Path(snakemake.output.digests).write_text("".join(lines))
    link_files([directory / name for name in digests], Path(snakemake.output.header).parent)
    log.info("record %s verified in %s: %s", record, directory, ", ".join(digests))
