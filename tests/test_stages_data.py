"""ecgbeats.stages.data: rules download_record and verify_record, called directly."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from local_physionet import DATABASE, closed_port_url, fill_database, serve

from ecgbeats.download import DownloadError, DownloadOptions, read_checksums
from ecgbeats.errors import InputError
from ecgbeats.stages.data import download_record, verify_record

NAMES = ("900.hea", "900.dat", "900.atr")


def files_in(folder: Path) -> list[Path]:
    """Record 900's files in `folder`, as the rules give them."""
    return [folder / name for name in NAMES]


def test_download_record_fetches_missing_files_only(
    tmp_path: Path, tiny_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fill_database(tmp_path / "server", tiny_db, ["900"])
    checksums = tiny_db / "SHA256SUMS"
    target = tmp_path / "data"
    with serve(tmp_path / "server") as server:
        options = DownloadOptions(base_url=server.base_url, database=DATABASE)
        with caplog.at_level(logging.INFO, logger="ecgbeats.stages.data"):
            fetched = download_record("900", checksums, files_in(target), options)
        assert sorted(p.name for p in fetched) == sorted(NAMES)
        assert "already present and verified: nothing" in caplog.text
        (target / "900.atr").unlink()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="ecgbeats.stages.data"):
            fetched = download_record("900", checksums, files_in(target), options)
        assert fetched == [target / "900.atr"]
        assert "already present and verified: 900.dat, 900.hea" in caplog.text
        assert server.served("900.dat") == 1 and server.served("900.atr") == 2
    for name in NAMES:
        assert (target / name).read_bytes() == (tiny_db / name).read_bytes()


def test_download_record_offline_names_the_file(tmp_path: Path, tiny_db: Path) -> None:
    options = DownloadOptions(base_url=closed_port_url(), database=DATABASE)
    with pytest.raises(DownloadError, match=r"record 900: download of 900\.hea from .* failed"):
        download_record("900", tiny_db / "SHA256SUMS", files_in(tmp_path / "data"), options)


def test_verify_record_writes_digests_and_links(tmp_path: Path, tiny_db: Path) -> None:
    checksums = tiny_db / "SHA256SUMS"
    digests, links = tmp_path / "verified" / "900.sha256", tmp_path / "records"
    found = verify_record("900", files_in(tiny_db), checksums, digests, files_in(links))
    listed = read_checksums(checksums)
    assert found == {name: listed[name] for name in NAMES}
    assert digests.read_text() == "".join(f"{listed[name]}  {name}\n" for name in NAMES)
    for name in NAMES:
        assert (links / name).is_symlink()
        assert (links / name).resolve() == (tiny_db / name).resolve()
    # A second run (e.g. a byte-identical copy elsewhere) replaces the links.
    verify_record("900", files_in(tiny_db), checksums, digests, files_in(links))
    assert sorted(p.name for p in links.iterdir()) == sorted(NAMES)


def test_verify_record_names_a_corrupt_file(tmp_path: Path, tiny_db: Path) -> None:
    for name in NAMES:
        (tmp_path / name).write_bytes((tiny_db / name).read_bytes())
    data = bytearray((tmp_path / "900.dat").read_bytes())
    data[10] ^= 0xFF
    (tmp_path / "900.dat").write_bytes(bytes(data))
    digests = tmp_path / "out" / "900.sha256"
    with pytest.raises(InputError, match=r"record 900: .*900\.dat: SHA256 mismatch"):
        verify_record(
            "900", files_in(tmp_path), tiny_db / "SHA256SUMS", digests, files_in(tmp_path / "links")
        )
    assert not digests.exists()


def test_verify_record_refuses_files_of_another_record_or_folder(
    tmp_path: Path, tiny_db: Path
) -> None:
    checksums, digests = tiny_db / "SHA256SUMS", tmp_path / "900.sha256"
    elsewhere = [tiny_db / "900.hea", tiny_db / "900.dat", tmp_path / "900.atr"]
    with pytest.raises(InputError, match=r"record 900: files .* are not its files .* one folder"):
        verify_record("900", elsewhere, checksums, digests, files_in(tmp_path / "links"))
    with pytest.raises(InputError, match=r"record 900: links .*901\.hea.* are not its files"):
        verify_record("900", files_in(tiny_db), checksums, digests, [tmp_path / "901.hea"])
