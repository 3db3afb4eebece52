"""Shared fixtures: the real MIT-BIH copy (from $MITDB_DIR) and a tiny synthetic database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workflow_runner import WorkflowCopy, tiny_config

from synthetic_ecg import TINY_RECORDS, write_tiny_database

REPO_ROOT = Path(__file__).resolve().parents[1]
MITDB_FILES = ("hea", "dat", "atr")


def _usable_mitdb(path: Path) -> str | None:
    """Why `path` is not a usable MIT-BIH copy, or None when it is."""
    if not path.is_dir():
        return f"{path} is not a directory"
    missing = [f"100.{ext}" for ext in MITDB_FILES if not (path / f"100.{ext}").is_file()] + (
        ["SHA256SUMS"] if not (path / "SHA256SUMS").is_file() else []
    )
    if missing:
        return f"{path} lacks {', '.join(missing)}"
    return None


@pytest.fixture(scope="session")
def mitdb_dir() -> Path:
    """The MIT-BIH copy named by $MITDB_DIR: skip when unset, fail when set but unusable."""
    value = os.environ.get("MITDB_DIR")
    if not value:
        pytest.skip("MITDB_DIR is not set")
    path = Path(value).resolve()
    problem = _usable_mitdb(path)
    if problem:
        pytest.fail(f"MITDB_DIR is set but unusable: {problem}")
    return path


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the tiny synthetic records 900-905 and their SHA256SUMS."""
    directory = tmp_path_factory.mktemp("tinydb")
    write_tiny_database(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_records() -> list[str]:
    return list(TINY_RECORDS)


#: Config files of the `test_workflow_run` run, in the order passed to snakemake.
TEST_RUN_CONFIGFILES = (".test/config.yaml", "test-run-data.yaml")


@pytest.fixture(scope="session")
def test_workflow_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> WorkflowCopy:
    """The whole `.test` workflow, run once per session in a throw-away copy.

    Data: MIT-BIH from $MITDB_DIR when set, else the tiny synthetic database. Later snakemake
    calls on the copy (e.g. `--report`) must pass `configfiles=TEST_RUN_CONFIGFILES`.
    """
    workflow = WorkflowCopy(tmp_path_factory.mktemp("test-workflow-run"))
    if os.environ.get("MITDB_DIR"):
        data = {"data_dir": str(request.getfixturevalue("mitdb_dir"))}
    else:
        data = tiny_config(request.getfixturevalue("tiny_db"), list(TINY_RECORDS))
    workflow.write_config(TEST_RUN_CONFIGFILES[-1], data)
    workflow.run(configfiles=TEST_RUN_CONFIGFILES)
    return workflow
