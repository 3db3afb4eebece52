"""Run the workflow from a throw-away copy, so tests never share `.snakemake` or `results/`.

Every workflow test goes through `WorkflowCopy`: it copies the Snakefile, configs and
`workflow/` into a temporary directory and runs `snakemake` there as a subprocess (the way users
run it), returning the completed process for assertions on output and exit code.
"""

from __future__ import annotations

import logging
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = (
    "Snakefile",
    "config.yaml",
    "config",
    ".test",
    "workflow",
    "profiles",
    "pyproject.toml",
)


def snakemake_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a snakemake subprocess: this interpreter's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ecgbeats-numba-cache"))
    env.update(extra or {})
    return env


class WorkflowCopy:
    """A copy of the workflow in `directory`, with helpers to run snakemake in it."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in WORKFLOW_FILES:
            source = REPO_ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    self.directory / name,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"),
                )
            elif source.exists():
                shutil.copy2(source, self.directory / name)

    @classmethod
    def clone(cls, source: WorkflowCopy, directory: Path) -> WorkflowCopy:
        """A copy of `source` with its results and Snakemake metadata, modification times kept
        (links stay links), to try something on a finished run without touching it."""
        shutil.copytree(source.directory, directory, symlinks=True)
        clone = cls.__new__(cls)
        clone.directory = Path(directory)
        return clone

    def path(self, relative: str) -> Path:
        return self.directory / relative

    def write_config(self, name: str, values: Mapping) -> Path:
        """Write a config overlay (YAML) into the copy; pass it with `configfiles=[name]`."""
        target = self.directory / name
        target.write_text(yaml.safe_dump(dict(values), sort_keys=False))
        return target

    def run(
        self,
        *args: str,
        configfiles: Sequence[str] = (),
        cores: int = 2,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        timeout: float = 1800,
    ) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            str(cores),
            "--nocolor",
        ]
        # --configfile takes several values: it goes last so that targets are not swallowed.
        command += list(args)
        if configfiles:
            command += ["--configfile", *configfiles]
        result = subprocess.run(
            command,
            cwd=self.directory,
            env=snakemake_environment(env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def planned_jobs(self, *args: str, configfiles: Sequence[str] = ()) -> dict[str, int]:
        """Rules and job counts of a dry run (`snakemake -n`), parsed from its job table."""
        result = self.run(*args, "-n", "--quiet", "rules", configfiles=configfiles)
        return parse_job_table(result.stdout + result.stderr)


def parse_job_table(output: str) -> dict[str, int]:
    """The `job  count` table that snakemake prints for a (dry) run."""
    jobs: dict[str, int] = {}
    in_table = False
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
            continue
        if not in_table or not parts or set(line.strip()) <= {"-", " "}:
            continue
        if parts[0] == "total":
            break
        if len(parts) == 2 and parts[1].isdigit():
            jobs[parts[0]] = int(parts[1])
    return jobs


def tiny_config(tiny_db: Path, records: Sequence[str], **extra) -> dict:
    """Config overlay pointing the workflow at the tiny synthetic database."""
    return {
        "data_dir": str(tiny_db),
        "checksums": str(tiny_db / "SHA256SUMS"),
        "records": list(records),
        "denoise_figure": {"record": records[0], "start_s": 0, "seconds": 5},
        **extra,
    }


def inter_split(train_records: Sequence[str], test_records: Sequence[str]) -> dict:
    """The config's `split` section for the inter-patient scheme on the tiny database's records
    (a quarter of the training records validate)."""
    return {
        "scheme": "inter",
        "inter": {
            "validation_fraction": 0.25,
            "seed": 1,
            "train_records": list(train_records),
            "test_records": list(test_records),
            "excluded_records": [],
        },
    }


def run_script(script: Path, smk: object) -> None:
    """Run a workflow script as Snakemake would (a `snakemake` global), then undo its logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        runpy.run_path(str(script), init_globals={"snakemake": smk}, run_name="__main__")
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
