"""ecgbeats.download: checksums, verification and download (against a local PhysioNet stand-in)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from local_physionet import DATABASE, closed_port_url, fill_database, serve

from ecgbeats.download import (
    DownloadError,
    fetch_files,
    fetch_record,
    file_url,
    read_checksums,
    record_file_names,
    sha256_of,
    verify_file,
    verify_record_files,
)
from ecgbeats.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CHECKSUMS = REPO_ROOT / "workflow" / "resources" / "mitdb-1.0.0.sha256"
MITDB_RECORDS = (
    "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 121 122 123 124 "
    "200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220 221 222 223 228 230 231 232 "
    "233 234"
).split()


@pytest.fixture()
def checksums(tiny_db: Path) -> dict[str, str]:
    return read_checksums(tiny_db / "SHA256SUMS")


@pytest.fixture()
def physionet(tmp_path: Path, tiny_db: Path):
    """A local PhysioNet serving records 900 and 901 (a fresh copy per test)."""
    fill_database(tmp_path / "server", tiny_db, ["900", "901"])
    with serve(tmp_path / "server") as server:
        yield server


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- checksum files -------------------------------------------------------------------------


def test_read_checksums_parses_sha256sum_format(tmp_path: Path) -> None:
    digest_a, digest_b = "a" * 64, "B" * 64
    path = tmp_path / "sums"
    path.write_text(f"{digest_a}  100.dat\n\n{digest_b} *sub/100.hea\n")
    # Binary-mode marker and folders are dropped; digests are compared in lower case.
    assert read_checksums(path) == {"100.dat": digest_a, "100.hea": digest_b.lower()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("nonsense line\n", "line 1"), ("", "lists no files"), (f"{'a' * 63}  1.dat\n", "line 1")],
)
def test_read_checksums_rejects_bad_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "sums"
    path.write_text(text)
    with pytest.raises(InputError, match=expected) as info:
        read_checksums(path)
    assert str(path) in str(info.value)


def test_read_checksums_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.sha256"):
        read_checksums(tmp_path / "nope.sha256")


def test_sha256_of_streams_large_files(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # 2.3 MB: several read chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_shipped_checksums_cover_all_48_records() -> None:
    checksums = read_checksums(SHIPPED_CHECKSUMS)
    assert len(checksums) == 3 * 48
    for record in MITDB_RECORDS:
        assert record_file_names(record, checksums) == [
            f"{record}.hea",
            f"{record}.dat",
            f"{record}.atr",
        ]


@pytest.mark.mitdb
def test_shipped_checksums_match_the_reference_copy(mitdb_dir: Path) -> None:
    assert read_checksums(SHIPPED_CHECKSUMS) == read_checksums(mitdb_dir / "SHA256SUMS")


@pytest.mark.mitdb
def test_real_records_verify_with_shipped_checksums(mitdb_dir: Path) -> None:
    checksums = read_checksums(SHIPPED_CHECKSUMS)
    for record in ("100", "114"):
        digests = verify_record_files(mitdb_dir, record, checksums)
        assert digests == {name: checksums[name] for name in record_file_names(record, checksums)}


# --- verification ---------------------------------------------------------------------------


def test_verify_record_files_returns_digests(tiny_db: Path, checksums: dict[str, str]) -> None:
    digests = verify_record_files(tiny_db, "900", checksums)
    assert list(digests) == ["900.hea", "900.dat", "900.atr"]
    assert all(digests[name] == checksums[name] for name in digests)


def test_missing_dat_is_named(tmp_path: Path, tiny_db: Path, checksums: dict[str, str]) -> None:
    for extension in (".hea", ".atr"):
        shutil.copy(tiny_db / f"900{extension}", tmp_path)
    with pytest.raises(InputError, match=r"record 900: signal file .*900\.dat is missing"):
        verify_record_files(tmp_path, "900", checksums)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_dat_is_named(
    tmp_path: Path, tiny_db: Path, checksums: dict[str, str], damage: str
) -> None:
    shutil.copytree(tiny_db, tmp_path, dirs_exist_ok=True)
    data = bytearray((tmp_path / "901.dat").read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[100] ^= 0xFF
    (tmp_path / "901.dat").write_bytes(bytes(data))
    verify_record_files(tmp_path, "900", checksums)  # other records are unaffected
    with pytest.raises(InputError, match=r"record 901: .*901\.dat: SHA256 mismatch") as info:
        verify_record_files(tmp_path, "901", checksums)
    assert f"size {len(data)} bytes" in str(info.value)


def test_unlisted_record_names_the_record(tiny_db: Path, checksums: dict[str, str]) -> None:
    with pytest.raises(InputError, match=r"record 999: .*not listed in the checksum file"):
        verify_record_files(tiny_db, "999", checksums)
    with pytest.raises(InputError, match=r"999\.dat is not listed"):
        verify_file(tiny_db / "999.dat", checksums)


# --- download -------------------------------------------------------------------------------


def test_file_url_joins_like_physionet() -> None:
    expected = "https://physionet.org/files/mitdb/1.0.0/100.dat"
    assert file_url("https://physionet.org/files/", "mitdb/1.0.0", "100.dat") == expected
    assert file_url("https://physionet.org/files", "/mitdb/1.0.0/", "100.dat") == expected


def test_missing_files_are_downloaded_and_verified(
    tmp_path: Path, physionet, checksums: dict[str, str]
) -> None:
    target = tmp_path / "data"
    fetched = fetch_record("900", target, checksums, physionet.base_url, DATABASE)
    assert sorted(p.name for p in fetched) == ["900.atr", "900.dat", "900.hea"]
    assert leftovers(target) == ["900.atr", "900.dat", "900.hea"]  # no temporary files left
    verify_record_files(target, "900", checksums)
    assert all(physionet.served(p.name) == 1 for p in fetched)


def test_verified_files_are_not_requested_again(
    tmp_path: Path, physionet, checksums: dict[str, str]
) -> None:
    target = tmp_path / "data"
    fetch_record("900", target, checksums, physionet.base_url, DATABASE)
    before = sum(physionet.requests.values())
    assert fetch_record("900", target, checksums, physionet.base_url, DATABASE) == []
    assert sum(physionet.requests.values()) == before


def test_only_missing_or_bad_files_are_fetched(
    tmp_path: Path, tiny_db: Path, physionet, checksums: dict[str, str]
) -> None:
    target = tmp_path / "data"
    target.mkdir()
    shutil.copy(tiny_db / "901.hea", target)
    (target / "901.dat").write_bytes((tiny_db / "901.dat").read_bytes()[:1000])  # truncated
    fetched = fetch_record("901", target, checksums, physionet.base_url, DATABASE)
    assert sorted(p.name for p in fetched) == ["901.atr", "901.dat"]
    assert physionet.served("901.hea") == 0
    verify_record_files(target, "901", checksums)


def test_corrupted_download_is_named_and_not_kept(
    tmp_path: Path, physionet, checksums: dict[str, str]
) -> None:
    served = physionet.folder / "900.dat"
    served.write_bytes(served.read_bytes()[:-10])
    target = tmp_path / "data"
    with pytest.raises(DownloadError, match=r"record 900: downloaded 900\.dat from http") as info:
        fetch_record("900", target, checksums, physionet.base_url, DATABASE)
    assert "Check the download address" in str(info.value)
    # The header came before the .dat and was verified; nothing named 900.dat (or a temporary
    # file) is left, so a rerun downloads it again.
    assert leftovers(target) == ["900.hea"]


def test_file_missing_on_server_is_named(
    tmp_path: Path, physionet, checksums: dict[str, str]
) -> None:
    (physionet.folder / "901.atr").unlink()
    with pytest.raises(DownloadError, match=r"download of 901\.atr from .*901\.atr failed"):
        fetch_files(["901.atr"], tmp_path / "data", checksums, physionet.base_url, DATABASE)
    assert leftovers(tmp_path / "data") == []


def test_offline_error_suggests_a_local_copy(tmp_path: Path, checksums: dict[str, str]) -> None:
    base_url = closed_port_url()
    with pytest.raises(DownloadError) as info:
        fetch_record("900", tmp_path / "data", checksums, base_url, DATABASE)
    message = str(info.value)
    assert f"{base_url}{DATABASE}/900.hea" in message
    assert "use an existing local copy of the database as the data folder" in message
    assert leftovers(tmp_path / "data") == []


def test_download_function_can_be_replaced(tmp_path: Path, tiny_db: Path, checksums) -> None:
    """fetch_files only needs `download(url, path)`: a file:// URL works through wfdb too."""
    urls: list[str] = []

    def copy_from_tiny_db(url: str, path: str) -> None:
        urls.append(url)
        shutil.copy(tiny_db / url.rsplit("/", 1)[1], path)

    fetched = fetch_files(
        ["902.dat"], tmp_path, checksums, "https://x.invalid/", "db", download=copy_from_tiny_db
    )
    assert urls == ["https://x.invalid/db/902.dat"] and fetched == [tmp_path / "902.dat"]
    fetched = fetch_files(["902.hea"], tmp_path, checksums, tiny_db.as_uri(), "")
    assert fetched == [tmp_path / "902.hea"]


def test_unusable_data_folder_is_named(tmp_path: Path, checksums) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(InputError, match=r"cannot create the data folder .*file/sub: "):
        fetch_record("900", not_a_folder / "sub", checksums, closed_port_url(), DATABASE)
