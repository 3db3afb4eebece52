"""The catalogue of bad inputs (README, "Bad input"), each tried on a copy of a finished run.

Every case asserts the exit status, that the message names the config key, record or file at
fault, and that the outputs the run had before are unchanged (a failed validation or a failed
record deletes nothing that was good). Config mistakes must be caught before any job runs.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from local_physionet import closed_port_url
from workflow_runner import WorkflowCopy, tiny_config

from synthetic_ecg import TINY_RECORDS, write_record, write_sha256sums, write_single_lead

RECORDS = list(TINY_RECORDS)[:4]
TARGETS = ("results/intra/aami/model.pt", f"results/figures/denoising_{RECORDS[0]}.png")
# Extra records of the database, each with one fault, listed in its checksum file from the
# start (as a real database's list would): a case adds one of them to `records`.
FAULTY = {
    "950": "truncated signal file",
    "951": "corrupt header",
    "952": "annotation file missing (offline)",
    "953": "no preferred lead",
    "954": "header claims 3 Hz",
}


def write_faulty_records(data_dir: Path) -> None:
    symbols = TINY_RECORDS[RECORDS[0]]
    for name in FAULTY:
        leads = ("V9", "V8") if name == "953" else ("MLII", "V1")
        write_record(data_dir, name, symbols, leads=leads, seed=int(name))
    fs_line = (data_dir / "954.hea").read_text().splitlines()
    fields = fs_line[0].split()
    fields[2] = "3"
    (data_dir / "954.hea").write_text("\n".join([" ".join(fields), *fs_line[1:]]) + "\n")
    (data_dir / "951.hea").write_text("951 two leads here\nnonsense\n")
    write_sha256sums(data_dir, [*TINY_RECORDS, *FAULTY])
    # Faults made after the list was written: the list holds the good bytes of 952.atr (its
    # download is tried, offline) and the truncated bytes of 950.dat (a list made from a broken
    # copy: the file verifies, and reading it must catch the truncation).
    (data_dir / "952.atr").unlink()
    signal = data_dir / "950.dat"
    signal.write_bytes(signal.read_bytes()[: signal.stat().st_size // 2])
    checksums = data_dir / "SHA256SUMS"
    digest = hashlib.sha256(signal.read_bytes()).hexdigest()
    lines = [
        f"{digest}  950.dat" if line.endswith(" 950.dat") else line
        for line in checksums.read_text().splitlines()
    ]
    checksums.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def good_run(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory) -> WorkflowCopy:
    base = tmp_path_factory.mktemp("bad-input")
    data_dir = base / "data"
    shutil.copytree(tiny_db, data_dir)
    write_faulty_records(data_dir)
    workflow = WorkflowCopy(base / "workflow")
    config = tiny_config(data_dir, RECORDS, tasks=["aami"], train={"epochs": 1})
    config["classify"] = {"task": "aami", "split": "intra"}
    workflow.write_config("base.yaml", config)
    workflow.run(*TARGETS, configfiles=["base.yaml"])
    return workflow


def snapshot(directory: Path) -> dict[str, str]:
    """Relative path -> SHA256 of every file under `directory` (links: of what they point to)."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass(frozen=True)
class Case:
    """A bad input: the config overlay (and files) that make it, what the error must name."""

    overlay: dict
    messages: tuple[str, ...]
    prepare: Callable[[Path], dict] | None = None  # tmp_path -> extra overlay keys
    targets: tuple[str, ...] = TARGETS
    # Outputs (relative to results/) that may go: those of the faulty record's verification.
    may_vanish: tuple[str, ...] = field(default=())


def short_record(tmp_path: Path) -> dict:
    path = write_single_lead(tmp_path, "short", np.zeros(100), fs=360)
    return {"classify": {"records": [str(path)]}}


def slow_record(tmp_path: Path) -> dict:
    path = write_single_lead(tmp_path, "slow", np.sin(np.linspace(0, 60, 3000)), fs=50)
    return {"classify": {"records": [str(path)]}}


def external_database(tmp_path: Path, **extra) -> dict:
    """An external database of one synthetic record whose leads are V9 and V8."""
    write_record(tmp_path / "ext", "e1", TINY_RECORDS[RECORDS[0]], leads=("V9", "V8"))
    database = {
        "name": "other",
        "data_dir": str(tmp_path / "ext"),
        "annotation_extension": "atr",
        "leads": ["ECG1"],
        "records": [],
        **extra,
    }
    return {"external": {"databases": [database], "models": [{"split": "intra", "task": "aami"}]}}


def external_symbol_map(tmp_path: Path) -> dict:
    return external_database(tmp_path, symbol_map={"S": "Z"})


def offline(tmp_path: Path) -> dict:
    return {"download": {"base_url": closed_port_url(), "database": "mitdb/1.0.0"}}


def missing_data_dir(tmp_path: Path) -> dict:
    """A data folder that does not exist (records would be downloaded into it), offline."""
    return {"data_dir": str(tmp_path / "missing" / "mitdb"), **offline(tmp_path)}


def changed_byte(tmp_path: Path) -> dict:
    """A copy of the database in which one byte of 901.dat differs from the checksum list."""
    return {"data_dir": str(tmp_path / "data")}


def record_added(name: str) -> dict:
    return {"records": [*RECORDS, name]}


CASES: dict[str, Case] = {
    "top-level typo": Case({"recods": ["900"]}, ("recods",)),
    "misspelt tasks key": Case({"task": ["ten"]}, ("'task' was unexpected",)),
    "class map of one class": Case(
        {"class_maps": {"one": {"N": "X", "V": "X"}}, "tasks": ["one"]},
        ("config key 'class_maps.one': every symbol maps to X",),
    ),
    "unknown UMAP metric": Case({"umap": {"metric": "euclidian"}}, ("euclidian", "metric")),
    "beat window longer than a record": Case(
        {"beats": {"before": 20000, "after": 20000}},
        ("config keys 'beats.before' + 'beats.after'", "record 900"),
    ),
    "unknown record": Case({"records": ["900", "999"]}, ("unknown record id(s) 999",)),
    "empty record list": Case({"records": []}, ("records", "should be non-empty")),
    "invalid value": Case({"denoise": {"threshold": "median"}}, ("threshold", "median")),
    "nonexistent data_dir": Case(
        {}, ("missing/mitdb", "existing local copy of the database"), prepare=missing_data_dir
    ),
    "checksum mismatch": Case(
        {},
        ("record 901", "901.dat", "SHA256 mismatch"),
        prepare=changed_byte,
        may_vanish=("data/verified/901.sha256",)
        + tuple(f"data/records/901.{e}" for e in ("hea", "dat", "atr")),
    ),
    "truncated signal file": Case(record_added("950"), ("record 950", "950.dat", "truncated")),
    "corrupt header": Case(record_added("951"), ("record 951", "951.hea")),
    "missing annotations offline": Case(
        record_added("952"), ("952.atr", "existing local copy of the database"), prepare=offline
    ),
    "no usable lead": Case(record_added("953"), ("record 953", "none of the preferred leads")),
    "unusable sampling rate": Case(record_added("954"), ("record 954", "sampling rate 3")),
    "classify: missing record": Case(
        {"classify": {"records": ["/nonexistent/rec"]}},
        ("/nonexistent/rec.hea",),
        targets=("classify_all",),
    ),
    "classify: too short": Case(
        {}, ("record short", "too short"), prepare=short_record, targets=("classify_all",)
    ),
    "classify: unusable rate": Case(
        {}, ("record slow", "sampling rate 50"), prepare=slow_record, targets=("classify_all",)
    ),
    "external: symbol map to no beat symbol": Case(
        {},
        ("config key 'external.databases[0].symbol_map' (database other): 'Z'",),
        prepare=external_symbol_map,
        targets=("external_all",),
    ),
    "external: no usable lead": Case(
        {},
        ("database other: record e1", "none of the preferred leads ['ECG1']"),
        prepare=external_database,
        targets=("external_all",),
    ),
}


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_named_and_deletes_nothing(good_run: WorkflowCopy, tmp_path: Path, name: str):
    case = CASES[name]
    workflow = WorkflowCopy.clone(good_run, tmp_path / "workflow")
    overlay = dict(case.overlay)
    if case.prepare is not None:
        if case.prepare is changed_byte:
            data = Path(workflow.path("results/data/records/900.hea").resolve()).parent
            shutil.copytree(data, tmp_path / "data")
            signal = tmp_path / "data" / "901.dat"
            content = bytearray(signal.read_bytes())
            content[100] ^= 0xFF
            signal.write_bytes(bytes(content))
        overlay.update(case.prepare(tmp_path))
    before = snapshot(workflow.path("results"))
    workflow.write_config("bad.yaml", overlay)
    result = workflow.run(
        "--keep-going", *case.targets, configfiles=["base.yaml", "bad.yaml"], check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for message in case.messages:
        assert message in output, f"{message!r} not in:\n{output[-4000:]}"
    after = snapshot(workflow.path("results"))
    changed = {p for p in before if before[p] != after.get(p)} - set(case.may_vanish)
    assert not changed, f"outputs changed or deleted: {sorted(changed)}"


@pytest.mark.skipif("cuda_available()", reason="this machine has CUDA")
def test_missing_cuda_stops_before_any_job(good_run: WorkflowCopy, tmp_path: Path):
    workflow = WorkflowCopy.clone(good_run, tmp_path / "workflow")
    before = snapshot(workflow.path("results"))
    workflow.write_config("bad.yaml", {"train": {"device": "cuda", "learning_rate": 0.001}})
    result = workflow.run(*TARGETS, configfiles=["base.yaml", "bad.yaml"], check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "config key 'train.device'" in output and "no CUDA device" in output, output[-3000:]
    assert snapshot(workflow.path("results")) == before
    # The trained model, its history and its logs were not touched by a job.
    assert "Finished job" not in output
