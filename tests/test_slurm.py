"""The workflow under a real single-node SLURM cluster (started by .ci/slurm/start.sh), driven
through profiles/slurm with the settings a cluster without accounting needs.

Skipped when SLURM is not installed, unless $CI is set: CI must run these.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml
from workflow_runner import WorkflowCopy

REPO = Path(__file__).resolve().parents[1]
SLURM_TOOLS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol")
RECORDS = ("900", "901", "902")
TARGETS = ("results/datasets/six.npz", "results/datasets/six_class_counts.tsv")
# Wall-clock guard per Snakemake run; the plugin ignores SIGTERM, so it is killed (SIGKILL).
RUN_TIMEOUT_S = 600

pytestmark = pytest.mark.slurm


def which(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A running single-node cluster for the session."""
    missing = [tool for tool in SLURM_TOOLS if which(tool) is None]
    problem = f"SLURM tools not installed: {', '.join(missing)}" if missing else None
    if not problem and os.geteuid() != 0:
        problem = "starting slurmd and munged needs root"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem} (CI is set: the SLURM tests must run)")
        pytest.skip(problem)
    state = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "SLURM_STATE_DIR": str(state)}
    started = subprocess.run(
        [REPO / ".ci" / "slurm" / "start.sh"], env=env, capture_output=True, text=True, timeout=120
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        # start.sh writes /etc/slurm/slurm.conf: the only path srun finds inside a job.
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("SLURM_CONF", raising=False)
            yield state
    finally:
        subprocess.run(
            [REPO / ".ci" / "slurm" / "stop.sh"], env=env, capture_output=True, timeout=120
        )


def copy_workflow(target: Path) -> Path:
    return WorkflowCopy(target).directory


def ci_profile(target: Path) -> Path:
    """profiles/slurm with this cluster's site settings: partition `debug`, no account (the
    plugin's account guess fails and it submits without one), no conda (channels are
    unreachable here), and `squeue` status checks, since `sacct` without slurmdbd answers
    nothing and the run would wait forever."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert {"slurm_partition", "slurm_account"} <= set(profile["default-resources"])
    profile["default-resources"]["slurm_partition"] = "debug"
    del profile["default-resources"]["slurm_account"]
    profile.pop("software-deployment-method", None)
    profile.update(
        {
            "slurm-status-command": "squeue",
            "slurm-init-seconds-before-status-checks": 2,
            "latency-wait": 5,
            "retries": 0,
        }
    )
    target.mkdir(parents=True)
    (target / "config.yaml").write_text(yaml.safe_dump(profile))
    return target


def snakemake(
    workdir: Path, data: Path, *args: str, targets: Sequence[str] = TARGETS
) -> subprocess.CompletedProcess[str]:
    """Run the .test experiment on the tiny records of `data` up to the datasets."""
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "NUMBA_CACHE_DIR": str(workdir / ".numba-cache"),
        # Jobs run `python -m snakemake` with this interpreter's packages.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *args,
        "--configfile",
        ".test/config.yaml",
        "--config",
        f"data_dir={data}",
        f"checksums={data / 'SHA256SUMS'}",
        f"records=[{','.join(repr(r) for r in RECORDS)}]",
        "--",
        *targets,
    ]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


def slurm_jobs() -> dict[str, tuple[str, str, str]]:
    """Every job the cluster still knows (MinJobAge keeps finished ones): id -> (name, state,
    comment)."""
    listing = subprocess.run(
        ["squeue", "-t", "all", "-h", "-o", "%i|%j|%T|%k"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jobs = {}
    for line in listing.splitlines():
        job_id, name, state, comment = line.split("|", 3)
        jobs[job_id] = (name, state, comment)
    return jobs


def arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def assert_same_outputs(first: Path, second: Path) -> None:
    npz = sorted(p.relative_to(first) for p in (first / "results").rglob("*.npz"))
    assert npz, "no npz outputs"
    assert npz == sorted(p.relative_to(second) for p in (second / "results").rglob("*.npz"))
    for relative in npz:
        a, b = arrays(first / relative), arrays(second / relative)
        assert a.keys() == b.keys(), relative
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{relative}: {key}")
    tsv = sorted(p.relative_to(first) for p in (first / "results").rglob("*.tsv"))
    assert tsv == sorted(p.relative_to(second) for p in (second / "results").rglob("*.tsv"))
    for relative in tsv:
        assert (first / relative).read_text() == (second / relative).read_text(), relative


def test_workflow_runs_through_slurm_like_locally(
    slurm_cluster: Path, tiny_db: Path, tmp_path: Path
) -> None:
    local = copy_workflow(tmp_path / "local")
    result = snakemake(local, tiny_db, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    local_jobs = int(re.search(r"(\d+) of \1 steps \(100%\) done", result.stderr).group(1))

    before = set(slurm_jobs())
    cluster = copy_workflow(tmp_path / "cluster")
    profile = ci_profile(tmp_path / "profile")
    result = snakemake(cluster, tiny_db, "--profile", str(profile))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "SLURM run ID" in log, log

    new_jobs = {i: job for i, job in slurm_jobs().items() if i not in before}
    # Every job of the run was a SLURM job (the target-only rule runs nowhere), and finished.
    assert len(new_jobs) == local_jobs, (new_jobs, log)
    assert {state for _, state, _ in new_jobs.values()} == {"COMPLETED"}, new_jobs
    rules = {
        comment.split("_wildcards")[0].removeprefix("rule_") for *_, comment in new_jobs.values()
    }
    assert {"verify_record", "preprocess_record", "build_dataset"} <= rules, rules
    # Same code, same seeds, same machine: identical results.
    assert_same_outputs(local, cluster)


def test_failed_slurm_job_is_reported_and_a_rerun_after_the_fix_completes(
    slurm_cluster: Path, tiny_db: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(tiny_db, data)
    broken = data / f"{RECORDS[1]}.dat"
    original = broken.read_bytes()
    broken.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))  # fails its checksum

    workdir = copy_workflow(tmp_path / "workflow")
    profile = ci_profile(tmp_path / "profile")
    before = set(slurm_jobs())
    result = snakemake(workdir, data, "--profile", str(profile))
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "Error in rule verify_record" in log, log
    assert re.search(rf"record.{{0,40}}{RECORDS[1]}", log), log
    failed = [job for i, job in slurm_jobs().items() if i not in before and job[1] == "FAILED"]
    assert len(failed) == 1 and "verify_record" in failed[0][2], failed
    # The other records went through (keep-going); the broken one has no verified list.
    assert (workdir / "results" / "data" / "verified" / f"{RECORDS[0]}.sha256").is_file()
    assert not (workdir / "results" / "data" / "verified" / f"{RECORDS[1]}.sha256").exists()

    broken.write_bytes(original)
    result = snakemake(workdir, data, "--profile", str(profile))
    assert result.returncode == 0, result.stdout + result.stderr
    for target in TARGETS:
        assert (workdir / target).is_file()
