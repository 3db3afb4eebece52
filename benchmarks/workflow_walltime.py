"""Wall time of a workflow run (the paper experiment by default) against a goal; where it goes.

    python benchmarks/workflow_walltime.py --data-dir ../shared/mitdb [--cores 2] [--epochs 30]
        [--goal-minutes 60] [--configfile OVERLAY ...] [--target all] [--summary-only]

Runs ``snakemake --cores N TARGET`` in this checkout (use a fresh clone: the run writes
``results/`` and ``benchmarks/out/``), timed from start to finish, then prints from Snakemake's
benchmark files (``benchmarks/out``) the jobs and seconds of each rule, from the training
histories the seconds per epoch of each model, and the measured wall time against the goal.
``--summary-only`` prints the breakdown of a finished run without running anything (its wall time
is then unknown). With ``--epochs`` below the paper's 30, the line "30 epochs (estimate)" adds the
missing epochs at the measured seconds per epoch: an estimate, labelled as one.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAPER_EPOCHS = 30


def benchmark_patterns(rules_dir: Path) -> list[tuple[str, re.Pattern[str]]]:
    """(rule, regex of its benchmark file) for every rule of the workflow's .smk files, the most
    specific first. Rules without a benchmark (the cached preprocess_record: Snakemake forbids
    one there) have none: their time is in the wall time only."""
    patterns = []
    for path in sorted(rules_dir.glob("*.smk")):
        text = path.read_text()
        for rule, body in re.findall(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, re.M):
            found = re.search(r'benchmark:\s*\n\s*"([^"]+)"', body)
            if found:
                parts = re.split(r"(\{[^}]+\})", found.group(1))
                regex = "".join(
                    "[^/]+" if part.startswith("{") else re.escape(part) for part in parts
                )
                literal = sum(len(part) for part in parts if not part.startswith("{"))
                patterns.append((literal, rule, re.compile(regex + "$")))
    # Most literal characters first: "datasets/plot_class_distribution_{task}" must win over
    # "datasets/{task}", which matches the same file.
    return [(rule, regex) for _, rule, regex in sorted(patterns, key=lambda p: -p[0])]


def rule_times(benchmark_dir: Path, rules_dir: Path) -> pd.DataFrame:
    """Jobs, summed and longest seconds per rule from Snakemake's benchmark TSVs."""
    patterns = benchmark_patterns(rules_dir)
    rows = []
    for path in sorted(benchmark_dir.rglob("*.tsv")):
        name = (Path("benchmarks/out") / path.relative_to(benchmark_dir)).as_posix()
        rule = next((rule for rule, regex in patterns if regex.match(name)), None)
        if rule is None:
            continue  # not a rule's benchmark (e.g. this script's own files)
        table = pd.read_csv(path, sep="\t")
        rows.append({"rule": rule, "seconds": float(table["s"].iloc[0])})
    if not rows:
        raise SystemExit(f"no Snakemake benchmark files under {benchmark_dir}")
    times = pd.DataFrame(rows).groupby("rule")["seconds"].agg(["count", "sum", "max"])
    times = times.rename(columns={"count": "jobs", "sum": "seconds", "max": "longest_job_s"})
    times["share"] = times["seconds"] / times["seconds"].sum()
    return times.sort_values("seconds", ascending=False)


def epoch_seconds(results: Path) -> pd.DataFrame:
    """Seconds per epoch of every trained model (results/{split}/{task}/seeds/{seed})."""
    rows = []
    for path in sorted(results.glob("*/*/seeds/*/training_history.tsv")):
        history = pd.read_csv(path, sep="\t")
        rows.append(
            {
                "model": str(path.parent.relative_to(results)),
                "epochs": len(history),
                "seconds_per_epoch": history["seconds"].mean(),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=PAPER_EPOCHS)
    parser.add_argument("--goal-minutes", type=float, default=60.0)
    parser.add_argument("--configfile", type=Path, nargs="*", default=[])
    parser.add_argument("--target", default="all")
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args()
    wall = None
    if not args.summary_only:
        if args.data_dir is None:
            parser.error("--data-dir is required unless --summary-only")
        overlay = ROOT / "benchmarks" / "out" / "walltime_overlay.yaml"
        overlay.parent.mkdir(parents=True, exist_ok=True)
        overlay.write_text(yaml.safe_dump({"train": {"epochs": args.epochs}}))
        command = [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            str(args.cores),
            "--configfile",
            *(str(path) for path in [*args.configfile, overlay]),
            "--config",
            f"data_dir={args.data_dir}",
            "--",
            args.target,
        ]
        print(" ".join(command[1:]), flush=True)
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True)
        wall = time.perf_counter() - started
    times = rule_times(ROOT / "benchmarks" / "out", ROOT / "workflow" / "rules")
    print(times.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"sum of job seconds: {times['seconds'].sum() / 60:.1f} min")
    epochs = epoch_seconds(ROOT / "results")
    if not epochs.empty:
        print(epochs.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    if wall is not None:
        print(
            f"wall time with --cores {args.cores}, {args.epochs} epochs: {wall / 60:.1f} min "
            f"(goal {args.goal_minutes:.0f} min: {wall / 60 / args.goal_minutes:.2f} of it)"
        )
        if args.epochs < PAPER_EPOCHS and not epochs.empty:
            # The trainings take every core (train_model's threads), so they run one at a time.
            missing = ((PAPER_EPOCHS - epochs["epochs"]) * epochs["seconds_per_epoch"]).sum()
            estimate = (wall + missing) / 60
            print(
                f"{PAPER_EPOCHS} epochs (estimate: measured wall time plus the missing epochs at "
                f"the measured seconds per epoch): {estimate:.1f} min "
                f"({estimate / args.goal_minutes:.2f} of the goal)"
            )


if __name__ == "__main__":
    main()
