"""PhysioNet download and SHA256 verification of WFDB records.

The workflow ships the SHA256 list of MIT-BIH 1.0.0 (``workflow/resources/mitdb-1.0.0.sha256``);
every record file, downloaded or from a local copy, is checked against it. Downloads go to a
temporary name in the target folder and are moved into place only once their checksum matches,
so an interrupted or corrupted download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecgbeats.errors import InputError

RECORD_EXTENSIONS: tuple[str, ...] = (".hea", ".dat", ".atr")

_CHUNK_BYTES = 1 << 20
_SHA256_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


class DownloadError(InputError):
    """A download failed (network, server or corrupted transfer)."""


@dataclass(frozen=True)
class DownloadOptions:
    """Where record files are downloaded from: ``<base_url>/<database>/<file name>``."""

    base_url: str
    database: str


def read_checksums(path: str | Path) -> dict[str, str]:
    """Map file name -> lower-case SHA256 hex digest from a ``sha256sum``-format file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"checksum file {path}: cannot be read ({error})") from error
    checksums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SHA256_LINE.match(line.strip())
        if match is None:
            raise InputError(
                f"checksum file {path}, line {number}: expected '<sha256>  <file name>', "
                f"got {line!r}"
            )
        digest, name = match.groups()
        checksums[Path(name).name] = digest.lower()
    if not checksums:
        raise InputError(f"checksum file {path}: lists no files")
    return checksums


def sha256_of(path: str | Path) -> str:
    """SHA256 hex digest of a file, read in chunks (MIT-BIH .dat files are ~2 MB each)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_file_names(record: str, checksums: dict[str, str]) -> list[str]:
    """The WFDB file names of `record` (.hea, .dat, .atr); the record must be in `checksums`."""
    names = [f"{record}{extension}" for extension in RECORD_EXTENSIONS]
    unlisted = [name for name in names if name not in checksums]
    if unlisted:
        raise InputError(
            f"record {record}: {', '.join(unlisted)} not listed in the checksum file; is the "
            "record id right?"
        )
    return names


def _expected(name: str, checksums: dict[str, str]) -> str:
    try:
        return checksums[name]
    except KeyError:
        raise InputError(f"{name} is not listed in the checksum file") from None


def verify_file(path: str | Path, checksums: dict[str, str]) -> str:
    """Check one file against its listed checksum; returns the digest or raises InputError."""
    path = Path(path)
    expected = _expected(path.name, checksums)
    if not path.is_file():
        raise InputError(f"{path} is missing")
    actual = sha256_of(path)
    if actual != expected:
        raise InputError(
            f"{path}: SHA256 mismatch (expected {expected}, got {actual}, size "
            f"{path.stat().st_size} bytes): the file is truncated or corrupt. Replace it with a "
            "good copy, or delete it and rerun to download it again."
        )
    return actual


def verify_record_files(
    directory: str | Path, record: str, checksums: dict[str, str]
) -> dict[str, str]:
    """Verify the three files of `record` in `directory`; returns file name -> digest.

    Raises InputError naming the record and the first missing or mismatching file.
    """
    directory = Path(directory)
    digests: dict[str, str] = {}
    for name in record_file_names(record, checksums):
        path = directory / name
        if not path.is_file():
            what = "signal file" if name.endswith(".dat") else "file"
            raise InputError(f"record {record}: {what} {path} is missing")
        try:
            digests[name] = verify_file(path, checksums)
        except InputError as error:
            raise InputError(f"record {record}: {error}") from None
    return digests


def link_files(sources: list[Path], directory: str | Path) -> list[Path]:
    """Symbolic links in `directory` to `sources` (absolute targets), replacing older links.

    Stages after verification read a record through these links: their paths do not depend on
    where the data lives, so pointing the workflow at a byte-identical copy reruns nothing
    downstream of the verification.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    links = []
    for source in sources:
        link = directory / source.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source.resolve())
        links.append(link)
    return links


def file_url(base_url: str, database: str, name: str) -> str:
    """URL of file `name` of `database` (e.g. ``mitdb/1.0.0``) under the index `base_url`."""
    parts = [base_url.rstrip("/"), database.strip("/"), name]
    return "/".join(part for part in parts if part)


def _is_verified(path: Path, checksums: dict[str, str]) -> bool:
    return path.is_file() and sha256_of(path) == checksums[path.name]


def fetch_files(
    names: Sequence[str],
    directory: str | Path,
    checksums: dict[str, str],
    base_url: str,
    database: str,
    download: Callable[[str, str], None] | None = None,
) -> list[Path]:
    """Download the files `names` into `directory` unless already present and verified.

    Each download is checked against `checksums` before it replaces anything in `directory`.
    Returns the paths that were downloaded (empty when every file was already verified).
    `download(url, target_path)` is wfdb's downloader; tests may pass another.
    """
    if download is None:
        # Imported here: wfdb (with pandas) takes ~0.3 s to import, which verify_record (also
        # in this module, and run once per record) does not need.
        from wfdb.io.download import dl_full_file as download
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the data folder {directory}: {error}") from error
    fetched: list[Path] = []
    for name in names:
        expected = _expected(name, checksums)
        target = directory / name
        if _is_verified(target, checksums):
            continue
        url = file_url(base_url, database, name)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
        os.close(handle)
        try:
            try:
                download(url, temporary)
            except OSError as error:  # requests' and wfdb's network errors are OSErrors
                raise DownloadError(
                    f"download of {name} from {url} failed: {error}. Without network access, "
                    "use an existing local copy of the database as the data folder; its files "
                    "are verified against the checksum file."
                ) from error
            actual = sha256_of(temporary)
            if actual != expected:
                raise DownloadError(
                    f"downloaded {name} from {url} has SHA256 {actual}, expected {expected} "
                    f"(size {os.path.getsize(temporary)} bytes); the file was not kept. "
                    "Check the download address (base URL and database)."
                )
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        fetched.append(target)
    return fetched


def fetch_record(
    record: str, directory: str | Path, checksums: dict[str, str], *source: Any
) -> list[Path]:
    """Download the files of `record` that are missing or fail verification; `source` is
    fetch_files' (base_url, database[, download]), and errors name the record."""
    names = record_file_names(record, checksums)
    try:
        return fetch_files(names, directory, checksums, *source)
    except DownloadError as error:
        raise DownloadError(f"record {record}: {error}") from error
