"""The workflow under a real single-node SLURM cluster (started by .ci/slurm/start.sh), driven
through profiles/slurm with the settings a cluster without accounting needs.

The profile groups the per-record rules: their jobs reach SLURM as a few group submissions of
`group-components` records each, not one submission per job.

Skipped when SLURM is not installed, unless $CI is set: CI must run these.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

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
PROFILE = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
# The profile's group of per-record rules, and how many records go into one submission.
GROUP = "per_record"
GROUPED_RULES = frozenset(rule for rule, group in PROFILE["groups"].items() if group == GROUP)
COMPONENTS = PROFILE["group-components"][GROUP]

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


def ci_profile(target: Path, components: int | None = None) -> Path:
    """profiles/slurm with this cluster's site settings: partition `debug`, no account (the
    plugin's account guess fails and it submits without one), no conda (channels are
    unreachable here), and `squeue` status checks, since `sacct` without slurmdbd answers
    nothing and the run would wait forever. `components`: records per group submission, in
    place of the profile's."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    assert GROUPED_RULES >= {"verify_record", "preprocess_record", "detect_record"}, profile
    if components is not None:
        profile["group-components"][GROUP] = components
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
    workdir: Path,
    data: Path,
    *args: str,
    targets: Sequence[str] = TARGETS,
    records: Sequence[str] = RECORDS,
) -> subprocess.CompletedProcess[str]:
    """Run the .test experiment on the tiny `records` of `data` up to the datasets."""
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
        f"records=[{','.join(repr(r) for r in records)}]",
        "--",
        *targets,
    ]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


class SlurmJob(NamedTuple):
    name: str
    state: str
    # The plugin's `rule_<rule>_wildcards_<...>`, or `rule_<group>_<its rules>` for a group.
    comment: str
    cpus: int
    minutes: int  # time limit

    @property
    def is_group(self) -> bool:
        return self.comment.startswith(f"rule_{GROUP}_")


def minutes(limit: str) -> int:
    """squeue's time limit ([D-]H:MM:SS or M:SS) in whole minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, mins, secs = parts
    return (int(days or 0) * 24 + hours) * 60 + mins + (secs + 59) // 60


def slurm_jobs() -> dict[str, SlurmJob]:
    """Every job the cluster still knows (MinJobAge keeps finished ones), by SLURM job id."""
    listing = subprocess.run(
        ["squeue", "-t", "all", "-h", "-o", "%i|%j|%T|%C|%l|%k"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jobs = {}
    for line in listing.splitlines():
        job_id, name, state, cpus, limit, comment = line.split("|", 5)
        jobs[job_id] = SlurmJob(name, state, comment, int(cpus), minutes(limit))
    return jobs


def job_stats(log: str) -> dict[str, int]:
    """Jobs per rule from Snakemake's "Job stats" table (the first one in `log`)."""
    table = log[log.index("Job stats:") :].splitlines()[3:]
    stats = {}
    for line in table:
        rule, count = line.split()
        if rule == "total":
            return stats
        stats[rule] = int(count)
    raise AssertionError(f"no total in the job stats table:\n{log}")


def record_outputs(workdir: Path, record: str) -> list[Path]:
    """What the per-record rules leave for `record` on the way to the datasets."""
    return [
        workdir / "results" / "data" / "verified" / f"{record}.sha256",
        workdir / "results" / "beats" / f"{record}.npz",
    ]


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
    stats = job_stats(result.stderr)
    assert sum(stats.values()) == local_jobs, stats
    per_record_jobs = sum(n for rule, n in stats.items() if rule in GROUPED_RULES)
    assert per_record_jobs == 2 * len(RECORDS), stats  # verify_record and preprocess_record

    before = set(slurm_jobs())
    cluster = copy_workflow(tmp_path / "cluster")
    profile = ci_profile(tmp_path / "profile")
    result = snakemake(cluster, tiny_db, "--profile", str(profile))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "SLURM run ID" in log, log

    new_jobs = {i: job for i, job in slurm_jobs().items() if i not in before}
    assert {job.state for job in new_jobs.values()} == {"COMPLETED"}, new_jobs
    # The per-record jobs went as ceil(records / group-components) group submissions (here one
    # for all 6 jobs); every other job of the run was a SLURM job of its own (the target-only
    # rule runs nowhere).
    groups = [job for job in new_jobs.values() if job.is_group]
    assert len(groups) == math.ceil(len(RECORDS) / COMPONENTS) == 1, (new_jobs, log)
    assert len(new_jobs) == local_jobs - per_record_jobs + len(groups), (new_jobs, log)
    rules = {
        job.comment.split("_wildcards")[0].removeprefix("rule_")
        for job in new_jobs.values()
        if not job.is_group
    }
    assert rules == {"build_dataset"}, rules
    # The group asked for what running its jobs one after another takes: one CPU and the sum of
    # the runtimes the profile sets for grouped jobs.
    runtimes = {rule: PROFILE["set-resources"][rule]["runtime"] for rule in GROUPED_RULES}
    expected = sum(runtimes[rule] * n for rule, n in stats.items() if rule in GROUPED_RULES)
    assert (groups[0].cpus, groups[0].minutes) == (1, expected), groups
    # Every record's outputs are there, and (same code, same seeds, same machine) identical.
    for record in RECORDS:
        for path in record_outputs(cluster, record):
            assert path.is_file(), path
    assert_same_outputs(local, cluster)


def test_failed_slurm_job_is_reported_and_a_rerun_after_the_fix_completes(
    slurm_cluster: Path, tiny_db: Path, tiny_records: list[str], tmp_path: Path
) -> None:
    """A corrupt record fails its group's submission alone, with its error in the log; the
    records of the other groups keep their outputs. Two records per group, so that there are
    other groups."""
    records, components = tiny_records, 2
    assert RECORDS[1] in records and len(records) > components
    data = tmp_path / "data"
    shutil.copytree(tiny_db, data)
    broken = data / f"{RECORDS[1]}.dat"
    original = broken.read_bytes()
    broken.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))  # fails its checksum

    workdir = copy_workflow(tmp_path / "workflow")
    profile = ci_profile(tmp_path / "profile", components=components)
    before = set(slurm_jobs())
    result = snakemake(workdir, data, "--profile", str(profile), records=records)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "Error in rule verify_record" in log, log
    # The error itself, not only the rule: the profile shows the failed jobs' logs.
    assert re.search(rf"InputError: record {RECORDS[1]}: \S+: SHA256 mismatch", log), log
    new_jobs = [job for i, job in slurm_jobs().items() if i not in before]
    assert all(job.is_group for job in new_jobs), new_jobs  # build_dataset never started
    assert len(new_jobs) == math.ceil(len(records) / components), new_jobs
    failed = [job for job in new_jobs if job.state == "FAILED"]
    assert len(failed) == 1 and "verify_record" in failed[0].comment, new_jobs
    assert {job.state for job in new_jobs if job not in failed} == {"COMPLETED"}, new_jobs
    # The broken record has no verified list; only its own group's records lack outputs (the
    # group stops at the error and its jobs count as failed); the other groups' are kept.
    missing = {r for r in records if not all(p.is_file() for p in record_outputs(workdir, r))}
    assert RECORDS[1] in missing and len(missing) <= components, missing
    assert not (workdir / "results" / "data" / "verified" / f"{RECORDS[1]}.sha256").exists()

    broken.write_bytes(original)
    before = set(slurm_jobs())
    result = snakemake(workdir, data, "--profile", str(profile), records=records)
    assert result.returncode == 0, result.stdout + result.stderr
    for target in TARGETS:
        assert (workdir / target).is_file()
    for record in records:
        for path in record_outputs(workdir, record):
            assert path.is_file(), path
    # Only the failed group's records were redone: one group submission, then build_dataset.
    new_jobs = [job for i, job in slurm_jobs().items() if i not in before]
    assert sorted(job.is_group for job in new_jobs) == [False, True], new_jobs
