"""The benchmark scripts run against the current library and config (smoke runs; their figures
are measurements for the README, never asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_bench_training_runs_and_prints_its_ratios():
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_training.py",
            "--samples",
            "256",
            "--batch-size",
            "128",
            "--validation",
            "32",
            "--repeats",
            "1",
            "--threads",
            "1",
            "--bn-calibration-beats",
            "64",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for line in ("achieved / matmul FLOP/s", "epoch / bare loop time"):
        assert line in result.stdout
