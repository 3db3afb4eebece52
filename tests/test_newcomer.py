"""README quick start, command 1, run the way a newcomer runs it.

The command is read from the first ```bash block of README.md, so the test follows the README.
It runs in `bash -c` from a throw-away copy of the workflow, with nothing from the test's own
virtual environment: `python3` is the base interpreter and the command's own `.venv`, made from
requirements.txt alone, must hold everything the workflow and `snakemake --report` need (pip
uses its normal configuration and cache). Changes to the command: `data_dir` points at
$MITDB_DIR (else at the tiny synthetic database, with an overlay for its checksums and records)
and both snakemake calls get `--configfile .test/config.yaml [overlay]`, to run the small `.test`
experiment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_runner import WorkflowCopy, tiny_config

from conftest import REPO_ROOT
from synthetic_ecg import TINY_RECORDS

pytestmark = pytest.mark.newcomer

TIMEOUT_S = 1500
OVERLAY = "newcomer-data.yaml"
#: Variables that would let the test's interpreter or venv leak into the command.
LEAKING_VARIABLES = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")


def quick_start_command() -> str:
    """The first ```bash block of README.md: the quick-start command."""
    match = re.search(r"^```bash\n(.*?)^```", (REPO_ROOT / "README.md").read_text(), re.M | re.S)
    assert match, "README.md has no ```bash block"
    command = match.group(1).strip()
    assert command and "\n" not in command, f"expected one command line, got:\n{command}"
    return command


def adapted_command(command: str, data_dir: Path, configfiles: list[str]) -> str:
    """`command` with data_dir replaced and `--configfile ...` appended to each snakemake call."""
    steps = [step.strip() for step in command.split("&&")]
    calls = [i for i, step in enumerate(steps) if step.split()[0] == "snakemake"]
    assert calls, f"no snakemake call in the README command: {command}"
    assert any("--report" in steps[i] for i in calls), f"no --report call in: {command}"
    for i in calls:
        steps[i], replaced = re.subn(
            r"data_dir=\S+", lambda _: f"data_dir={shlex.quote(str(data_dir))}", steps[i]
        )
        assert replaced == 1, f"expected one data_dir=... in {steps[i]!r}"
        steps[i] += " --configfile " + " ".join(shlex.quote(name) for name in configfiles)
    return " && ".join(steps)


def newcomer_environment(bin_dir: Path) -> dict[str, str]:
    """os.environ without the test's venv; `bin_dir` (holding `python3`) first on PATH."""
    env = {key: value for key, value in os.environ.items() if key not in LEAKING_VARIABLES}
    venv_bins = set()
    if sys.prefix != sys.base_prefix:
        venv_bins.add((Path(sys.prefix) / "bin").resolve())
    if os.environ.get("VIRTUAL_ENV"):
        venv_bins.add((Path(os.environ["VIRTUAL_ENV"]) / "bin").resolve())
    path = [
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() not in venv_bins
    ]
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    return env


def tail(output: str, lines: int = 80) -> str:
    return "\n".join(output.splitlines()[-lines:])


def test_readme_quick_start_from_requirements_only(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    workflow = WorkflowCopy(tmp_path / "workflow")
    shutil.copy2(REPO_ROOT / "requirements.txt", workflow.path("requirements.txt"))
    configfiles = [".test/config.yaml"]
    if os.environ.get("MITDB_DIR"):
        data_dir = request.getfixturevalue("mitdb_dir")
    else:
        data_dir = request.getfixturevalue("tiny_db")
        workflow.write_config(OVERLAY, tiny_config(data_dir, list(TINY_RECORDS)))
        configfiles.append(OVERLAY)
    command = adapted_command(quick_start_command(), data_dir, configfiles)

    # `python3` is the base interpreter, never the test venv's python (nor anything beside it).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(Path(sys._base_executable).resolve())

    start = time.monotonic()
    try:
        with subprocess.Popen(
            ["bash", "-c", command],
            cwd=workflow.directory,
            env=newcomer_environment(bin_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as process:
            try:
                output, _ = process.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                output, _ = process.communicate()
                pytest.fail(f"timed out after {TIMEOUT_S} s: {command}\n{tail(output)}")
        elapsed = time.monotonic() - start
        print(f"README command 1 took {elapsed:.0f} s: {command}")
        assert process.returncode == 0, (
            f"exit code {process.returncode} after {elapsed:.0f} s: {command}\n{tail(output)}"
        )
        report = workflow.path("results/report.html")
        assert report.is_file(), f"no results/report.html:\n{tail(output)}"
        html = report.read_text(errors="replace")
        assert len(html) > 100_000, f"report.html has only {len(html)} characters"
        assert "Snakemake" in html
        figures = sorted(p.name for p in workflow.path("results").rglob("*.png"))
        assert "class_distribution.png" in figures, figures
        missing = [name for name in figures if name not in html]
        assert not missing, f"figures missing from report.html: {missing}"
    finally:
        # The venv is large (torch); the results stay for inspection.
        shutil.rmtree(workflow.path(".venv"), ignore_errors=True)
