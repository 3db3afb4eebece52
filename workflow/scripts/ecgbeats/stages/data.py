"""Data stage: rules download_record (missing or corrupt files of a record) and verify_record."""

from __future__ import annotations

import logging
from pathlib import Path

from ecgbeats.download import (
    DownloadOptions,
    fetch_record,
    file_url,
    link_files,
    read_checksums,
    record_file_names,
    verify_record_files,
)

logger = logging.getLogger(__name__)


def download_record(
    record: str, checksums: str | Path, directory: str | Path, options: DownloadOptions
) -> list[Path]:
    """Download the files of `record` into `directory` that are missing there or fail their
    checksum (listed in the file `checksums`); returns the paths downloaded."""
    listed = read_checksums(checksums)
    logger.info(
        "record %s: fetching from %s", record, file_url(options.base_url, options.database, "")
    )
    fetched = fetch_record(record, directory, listed, options.base_url, options.database)
    kept = sorted(set(record_file_names(record, listed)) - {path.name for path in fetched})
    logger.info("downloaded and verified: %s", ", ".join(p.name for p in fetched) or "nothing")
    logger.info("already present and verified: %s", ", ".join(kept) or "nothing")
    return fetched


def verify_record(
    record: str,
    directory: str | Path,
    checksums: str | Path,
    digests: str | Path,
    links: str | Path,
) -> dict[str, str]:
    """Check the files of `record` in `directory` against the list `checksums`; write their
    digests to `digests` and links to them into the folder `links`, through which later stages
    read the verified files. Returns file name -> SHA256."""
    directory = Path(directory)
    found = verify_record_files(directory, record, read_checksums(checksums))
    # sha256sum format, so `sha256sum -c` in the data folder can recheck the files.
    Path(digests).parent.mkdir(parents=True, exist_ok=True)
    Path(digests).write_text("".join(f"{digest}  {name}\n" for name, digest in found.items()))
    link_files([directory / name for name in found], links)
    logger.info("record %s verified in %s: %s", record, directory, ", ".join(found))
    return found
