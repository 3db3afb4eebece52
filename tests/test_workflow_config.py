"""Dry runs of every shipped config, lint, config errors and what a config change reruns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workflow_runner import WorkflowCopy, tiny_config

from synthetic_ecg import TINY_RECORDS

SHIPPED_CONFIGS = [[], ["config/inter_patient.yaml"], [".test/config.yaml"]]


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> WorkflowCopy:
    return WorkflowCopy(tmp_path_factory.mktemp("config-checks"))


@pytest.mark.parametrize("configfiles", SHIPPED_CONFIGS, ids=["paper", "inter", "test"])
def test_dry_run_of_shipped_config(workflow: WorkflowCopy, configfiles: list[str]):
    """Without a local copy the plan starts with downloads; with one it does not."""
    jobs = workflow.planned_jobs(configfiles=configfiles)
    assert jobs.get("download_record", 0) > 0
    assert jobs.get("preprocess_record", 0) == jobs["download_record"]
    mitdb = os.environ.get("MITDB_DIR")
    if mitdb:
        # absolute: the workflow copy runs in another directory than the tests
        local = workflow.write_config("local-copy.yaml", {"data_dir": str(Path(mitdb).resolve())})
        jobs = workflow.planned_jobs(configfiles=[*configfiles, local.name])
        assert "download_record" not in jobs
        assert jobs["verify_record"] == jobs["preprocess_record"] > 0


def test_lint_is_clean(workflow: WorkflowCopy):
    result = workflow.run("--lint", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"records": ["100", "999"]}, "config key 'records': unknown record id(s) 999"),
        ({"tasks": ["six", "seven"]}, "config key 'tasks': seven not defined"),
        ({"beats": {"before": 0, "after": 150, "normalisation": "zscore"}}, "before"),
        ({"denoise": {"threshold": "median"}}, "['denoise']['properties']['threshold']"),
        ({"beats": {"before": 150, "after": 150, "normalisation": "l2"}}, "normalisation"),
        (
            {
                "balance": {
                    "method": "class_weight",
                    "sampling_strategy": "auto",
                    "k_neighbors": 5,
                    "seed": 42,
                    "class_weight_power": 2,
                }
            },
            "['balance']['properties']['class_weight_power']",
        ),
    ],
)
def test_invalid_config_is_named(workflow: WorkflowCopy, overrides: dict, message: str):
    bad = workflow.write_config("bad.yaml", overrides)
    result = workflow.run("-n", configfiles=[bad.name], check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_each_training_seed_is_its_own_job(workflow: WorkflowCopy):
    """Seeds train in separate jobs (in parallel on a cluster); the first seed's model is the
    one evaluated in full, explained and used."""
    seeds = workflow.write_config("seeds.yaml", {"train": {"seeds": [7, 3, 11]}})
    summary = workflow.planned_jobs("results/intra/six/seeds.tsv", configfiles=[seeds.name])
    assert summary["train_model"] == 3 and summary["evaluate_seed"] == 3
    assert summary["summarise_seeds"] == 1 and "select_model" not in summary
    representative = workflow.planned_jobs(
        "results/intra/six/metrics.tsv", configfiles=[seeds.name]
    )
    assert representative["train_model"] == 1 and representative["select_model"] == 1
    plan = workflow.run(
        "results/intra/six/model.pt", "-n", "--quiet", "reason", configfiles=[seeds.name]
    )
    assert "results/intra/six/seeds/7/model.pt" in plan.stdout + plan.stderr
    duplicate = workflow.write_config("twice.yaml", {"train": {"seeds": [7, 7]}})
    result = workflow.run("-n", configfiles=[duplicate.name], check=False)
    assert result.returncode != 0 and "seeds" in result.stdout + result.stderr


def test_config_changes_rerun_only_downstream(tiny_db: Path, tmp_path: Path):
    """A training-only change reruns no preprocessing; a denoising change reruns it all."""
    workflow = WorkflowCopy(tmp_path)
    records = list(TINY_RECORDS)[:4]
    target = "results/intra/aami/model.pt"
    base = tiny_config(tiny_db, records, tasks=["aami"], train={"epochs": 1})
    workflow.write_config("base.yaml", base)
    workflow.run(target, configfiles=["base.yaml"])
    assert workflow.planned_jobs(target, configfiles=["base.yaml"]) == {}

    changed_figure = {**base, "denoise_figure": {**base["denoise_figure"], "seconds": 3}}
    workflow.write_config("figure.yaml", changed_figure)
    assert workflow.planned_jobs(target, configfiles=["figure.yaml"]) == {}

    workflow.write_config("training.yaml", {**base, "train": {"epochs": 1, "learning_rate": 1e-3}})
    assert workflow.planned_jobs(target, configfiles=["training.yaml"]) == {
        "train_model": 1,
        "select_model": 1,
    }

    denoise = dict(base)
    denoise["denoise"] = {
        "wavelet": "db5",
        "level": 9,
        "remove_approximation": True,
        "remove_details": [1],
        "threshold": "none",
    }
    workflow.write_config("denoise.yaml", denoise)
    jobs = workflow.planned_jobs(target, configfiles=["denoise.yaml"])
    assert jobs == {
        "preprocess_record": len(records),
        "build_dataset": 1,
        "split_dataset": 1,
        "train_model": 1,
        "select_model": 1,
    }
