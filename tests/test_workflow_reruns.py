"""What a change reruns: library modules, the other split scheme's settings, a copied database.

Each test works on a copy of a finished run and asserts the jobs that Snakemake plans (dry run)
or runs: only what depends on the change, nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from workflow_runner import WorkflowCopy, parse_job_table, tiny_config

from conftest import TEST_RUN_CONFIGFILES
from synthetic_ecg import TINY_RECORDS

FIGURE_RULES = {
    "plot_denoising",
    "plot_class_distribution",
    "plot_evaluation",
    "plot_umap",
    "plot_shap",
    "plot_noise_curve",
    "plot_external",
}


def edit_module(workflow: WorkflowCopy, module: str) -> None:
    """Change a library module's content (a comment line), as a developer's edit would."""
    with workflow.path(f"workflow/scripts/ecgbeats/{module}").open("a") as handle:
        handle.write("\n# edited by a test\n")


def planned(workflow: WorkflowCopy) -> dict[str, int]:
    jobs = workflow.planned_jobs(configfiles=TEST_RUN_CONFIGFILES)
    jobs.pop("all", None)
    return jobs


def test_finished_run_plans_nothing(test_workflow_run: WorkflowCopy):
    assert planned(test_workflow_run) == {}


def test_editing_denoising_reruns_preprocessing_and_downstream(
    test_workflow_run: WorkflowCopy, tmp_path: Path
):
    workflow = WorkflowCopy.clone(test_workflow_run, tmp_path / "copy")
    edit_module(workflow, "denoising.py")
    jobs = planned(workflow)
    records = len(list(workflow.path("results/beats").glob("*.npz")))
    assert jobs["preprocess_record"] == records > 0
    for downstream in ("build_dataset", "train_model", "evaluate_model", "explain_shap"):
        assert downstream in jobs, jobs
    assert "verify_record" not in jobs and "download_record" not in jobs


def test_editing_plots_reruns_only_figures(test_workflow_run: WorkflowCopy, tmp_path: Path):
    workflow = WorkflowCopy.clone(test_workflow_run, tmp_path / "copy")
    edit_module(workflow, "plots.py")
    jobs = planned(workflow)
    assert "plot_evaluation" in jobs and "plot_shap" in jobs, jobs
    assert set(jobs) <= FIGURE_RULES, jobs


def test_editing_splits_reruns_from_the_split_on(test_workflow_run: WorkflowCopy, tmp_path: Path):
    workflow = WorkflowCopy.clone(test_workflow_run, tmp_path / "copy")
    edit_module(workflow, "splits.py")
    jobs = planned(workflow)
    assert {"split_dataset", "train_model", "evaluate_model"} <= set(jobs), jobs
    assert not {"preprocess_record", "build_dataset", "verify_record"} & set(jobs), jobs


def test_touching_a_module_without_changing_it_reruns_nothing(
    test_workflow_run: WorkflowCopy, tmp_path: Path
):
    """A checkout that rewrites a file with the same bytes (newer mtime) is not a change."""
    workflow = WorkflowCopy.clone(test_workflow_run, tmp_path / "copy")
    module = workflow.path("workflow/scripts/ecgbeats/denoising.py")
    module.write_bytes(module.read_bytes())
    assert planned(workflow) == {}


@pytest.fixture(scope="module")
def tiny_training_run(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory) -> WorkflowCopy:
    """The tiny database (read from its own copy) up to an intra-patient model."""
    base = tmp_path_factory.mktemp("tiny-training-run")
    data_dir = base / "data"
    shutil.copytree(tiny_db, data_dir)
    workflow = WorkflowCopy(base / "workflow")
    records = list(TINY_RECORDS)[:4]
    config = tiny_config(data_dir, records, tasks=["aami"], train={"epochs": 1})
    # The checksum list is the database's (the shipped one for MIT-BIH), not the copy's.
    config["checksums"] = str(tiny_db / "SHA256SUMS")
    workflow.write_config("base.yaml", config)
    workflow.run(*TRAINING_TARGETS, configfiles=["base.yaml"])
    return workflow


TRAINING_TARGETS = ("results/intra/aami/model.pt", "results/figures/denoising_900.png")


def test_other_split_scheme_settings_rerun_nothing(tiny_training_run: WorkflowCopy):
    workflow = tiny_training_run
    workflow.write_config(
        "inter-settings.yaml",
        {"split": {"inter": {"seed": 7, "validation_fraction": 0.3, "test_records": ["903"]}}},
    )
    jobs = workflow.planned_jobs(
        *TRAINING_TARGETS, configfiles=["base.yaml", "inter-settings.yaml"]
    )
    assert jobs == {}
    workflow.write_config("intra-settings.yaml", {"split": {"intra": {"seed": 7}}})
    jobs = workflow.planned_jobs(
        *TRAINING_TARGETS, configfiles=["base.yaml", "intra-settings.yaml"]
    )
    assert jobs == {"split_dataset": 1, "train_model": 1, "select_model": 1}


def test_identical_copy_of_the_database_reruns_only_verification(
    tiny_training_run: WorkflowCopy, tmp_path: Path
):
    workflow = WorkflowCopy.clone(tiny_training_run, tmp_path / "workflow")
    original = Path(workflow.path("results/data/records/900.hea").resolve()).parent
    copy = tmp_path / "elsewhere"
    # A plain copy (new modification times), as `cp -r` or a new download would make.
    shutil.copytree(original, copy, copy_function=shutil.copyfile)
    workflow.write_config("moved.yaml", {"data_dir": str(copy)})
    result = workflow.run(*TRAINING_TARGETS, configfiles=["base.yaml", "moved.yaml"])
    jobs = parse_job_table(result.stdout + result.stderr)
    assert jobs == {"verify_record": 4}, jobs
    assert workflow.path("results/data/records/900.dat").resolve() == copy / "900.dat"
    assert workflow.planned_jobs(*TRAINING_TARGETS, configfiles=["base.yaml", "moved.yaml"]) == {}
