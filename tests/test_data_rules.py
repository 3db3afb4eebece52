"""The data stage end to end: `download_record` and `verify_record` run by Snakemake.

Each test runs Snakemake in a temporary copy of the workflow, against the tiny synthetic
database (served by a local PhysioNet stand-in, or as a local copy) or the real MIT-BIH copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from local_physionet import DATABASE, closed_port_url, fill_database, serve

from ecgbeats.download import read_checksums

REPO_ROOT = Path(__file__).resolve().parents[1]
OLD = 946684800  # 2000-01-01, in seconds since the epoch


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """A copy of the workflow (Snakefile, config, workflow/) to run Snakemake in."""
    target = tmp_path / "workflow-copy"
    target.mkdir()
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(REPO_ROOT / name, target / name)
    shutil.copytree(
        REPO_ROOT / "workflow", target / "workflow", ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


def snakemake(
    workdir: Path,
    records: list[str],
    data_dir: Path,
    checksums: Path | None = None,
    base_url: str | None = None,
    keep_going: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the verify targets of `records`; stdout and stderr are returned together."""
    config = [f"data_dir={data_dir}", f"records=[{','.join(records)}]"]
    if checksums is not None:
        config.append(f"checksums={checksums}")
    if base_url is not None:
        config.append(f"download={{base_url: '{base_url}', database: {DATABASE}}}")
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "--config", *config]
    if keep_going:
        command.append("--keep-going")
    targets = [f"results/data/verified/{record}.sha256" for record in records]
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "NUMBA_CACHE_DIR": str(workdir / ".numba-cache"),
    }
    return subprocess.run(
        [*command, "--", *targets],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def expected_lines(checksums: dict[str, str], record: str) -> str:
    names = [f"{record}{extension}" for extension in (".hea", ".dat", ".atr")]
    return "".join(f"{checksums[name]}  {name}\n" for name in names)


def copy_records(source: Path, target: Path, records: list[str]) -> None:
    """A local copy made long ago: its files are older than the workflow's scripts."""
    target.mkdir(parents=True, exist_ok=True)
    for record in records:
        for extension in (".hea", ".dat", ".atr"):
            shutil.copy(source / f"{record}{extension}", target)
            os.utime(target / f"{record}{extension}", (OLD, OLD))


def listing(directory: Path) -> list[tuple[str, int]]:
    return sorted((p.name, p.stat().st_mtime_ns) for p in directory.iterdir())


def test_missing_records_are_downloaded_once(workdir: Path, tmp_path: Path, tiny_db: Path) -> None:
    records = ["900", "901"]
    fill_database(tmp_path / "server", tiny_db, records)
    data_dir = tmp_path / "data"
    checksum_file = tiny_db / "SHA256SUMS"
    checksums = read_checksums(checksum_file)
    with serve(tmp_path / "server") as physionet:
        run = snakemake(workdir, records, data_dir, checksum_file, physionet.base_url)
        assert run.returncode == 0, run.stdout
        for record in records:
            verified = workdir / "results" / "data" / "verified" / f"{record}.sha256"
            assert verified.read_text() == expected_lines(checksums, record)
            for extension in (".hea", ".dat", ".atr"):
                assert physionet.served(f"{record}{extension}") == 1
        assert "downloaded and verified" in (workdir / "logs/data/download_900.log").read_text()
        # The files are in place and verified: a rerun has nothing to do and asks for nothing.
        rerun = snakemake(workdir, records, data_dir, checksum_file, physionet.base_url)
        assert rerun.returncode == 0, rerun.stdout
        assert "Nothing to be done" in rerun.stdout
        assert sum(physionet.requests.values()) == 6


def test_corrupted_local_copy_names_the_file(workdir: Path, tmp_path: Path, tiny_db: Path) -> None:
    records = ["900", "901", "902"]
    data_dir = tmp_path / "copy"
    copy_records(tiny_db, data_dir, records)
    data = bytearray((data_dir / "901.dat").read_bytes())
    data[200] ^= 0xFF
    (data_dir / "901.dat").write_bytes(bytes(data))
    os.utime(data_dir / "901.dat", (OLD, OLD))
    before = listing(data_dir)
    checksum_file = tiny_db / "SHA256SUMS"
    # Offline: a local copy must never need the network.
    run = snakemake(workdir, records, data_dir, checksum_file, closed_port_url(), keep_going=True)
    assert run.returncode != 0
    assert f"{data_dir / '901.dat'}: SHA256 mismatch" in run.stdout
    assert "901.dat: SHA256 mismatch" in (workdir / "logs/data/verify_901.log").read_text()
    verified = workdir / "results" / "data" / "verified"
    assert sorted(p.name for p in verified.iterdir()) == ["900.sha256", "902.sha256"]
    # A complete local copy is only read: no download job, no file replaced or touched.
    assert listing(data_dir) == before
    assert not list((workdir / "logs" / "data").glob("download_*"))
    kept = (verified / "900.sha256").stat().st_mtime_ns

    shutil.copy(tiny_db / "901.dat", data_dir)
    rerun = snakemake(workdir, records, data_dir, checksum_file, closed_port_url())
    assert rerun.returncode == 0, rerun.stdout
    assert (verified / "901.sha256").read_text() == expected_lines(
        read_checksums(checksum_file), "901"
    )
    assert (verified / "900.sha256").stat().st_mtime_ns == kept


def test_missing_dat_offline_names_file_and_data_dir(
    workdir: Path, tmp_path: Path, tiny_db: Path
) -> None:
    records = ["900", "901"]
    data_dir = tmp_path / "copy"
    copy_records(tiny_db, data_dir, records)
    (data_dir / "900.dat").unlink()
    checksum_file = tiny_db / "SHA256SUMS"
    base_url = closed_port_url()
    run = snakemake(workdir, records, data_dir, checksum_file, base_url, keep_going=True)
    assert run.returncode != 0
    assert f"download of 900.dat from {base_url}{DATABASE}/900.dat failed" in run.stdout
    assert "use an existing local copy of the database as the data folder" in run.stdout
    # The record's other files stay (the rule's outputs are flagged `update`), so do the other
    # record's results.
    assert sorted(p.name for p in data_dir.glob("900.*")) == ["900.atr", "900.hea"]
    assert (workdir / "results/data/verified/901.sha256").is_file()

    shutil.copy(tiny_db / "900.dat", data_dir)
    rerun = snakemake(workdir, records, data_dir, checksum_file, base_url)
    assert rerun.returncode == 0, rerun.stdout
    assert (workdir / "results/data/verified/900.sha256").is_file()


@pytest.mark.mitdb
def test_real_copy_verifies_with_shipped_checksums(workdir: Path, mitdb_dir: Path) -> None:
    before = listing(mitdb_dir)
    records = ["100", "114"]
    run = snakemake(workdir, records, mitdb_dir, base_url=closed_port_url())
    assert run.returncode == 0, run.stdout
    reference = read_checksums(mitdb_dir / "SHA256SUMS")
    for record in records:
        verified = workdir / "results" / "data" / "verified" / f"{record}.sha256"
        assert verified.read_text() == expected_lines(reference, record)
    assert listing(mitdb_dir) == before  # not even touched (no download job ran)
    assert "rule download_record:" not in run.stdout
    assert not list((workdir / "logs" / "data").glob("download_*"))
