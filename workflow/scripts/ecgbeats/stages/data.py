"""Data stage: rules download_record (missing or corrupt files of a record) and verify_record."""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
from ecgbeats.errors import InputError

logger = logging.getLogger(__name__)


def download_record(
    record: str, checksums: str | Path, files: Sequence[str | Path], options: DownloadOptions
) -> list[Path]:
    """Download those of `files` (the files of `record`, in one folder) that are missing or
    fail their checksum (listed in the file `checksums`); returns the paths downloaded."""
    listed = read_checksums(checksums)
    directory = _folder_of(files, record, listed, "files")
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
    files: Sequence[str | Path],
    checksums: str | Path,
    digests: str | Path,
    links: Sequence[str | Path],
) -> dict[str, str]:
    """Check `files` (the files of `record`, in one folder) against the list `checksums`; write
    their digests to `digests` and the `links` to them (same names, in one folder), through
    which later stages read the verified files. Returns file name -> SHA256."""
    listed = read_checksums(checksums)
    directory = _folder_of(files, record, listed, "files")
    found = verify_record_files(directory, record, listed)
    # sha256sum format, so `sha256sum -c` in the data folder can recheck the files.
    Path(digests).parent.mkdir(parents=True, exist_ok=True)
    Path(digests).write_text("".join(f"{digest}  {name}\n" for name, digest in found.items()))
    link_files([directory / name for name in found], _folder_of(links, record, listed, "links"))
    logger.info("record %s verified in %s: %s", record, directory, ", ".join(found))
    return found


def _folder_of(paths: Sequence[str | Path], record: str, listed: dict[str, str], what: str) -> Path:
    """The one folder of `paths`, which must be named as the files of `record` are."""
    paths = [Path(path) for path in paths]
    names = record_file_names(record, listed)
    folders = {path.parent for path in paths}
    if len(folders) != 1 or sorted(path.name for path in paths) != sorted(names):
        raise InputError(
            f"record {record}: {what} {', '.join(map(str, paths)) or '(none)'} are not its "
            f"files {', '.join(names)} in one folder"
        )
    return folders.pop()
