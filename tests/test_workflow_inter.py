"""The inter-patient model with its RR branch through Snakemake on the tiny synthetic database:
one training job per seed, the seed summary, EC57, SHAP and UMAP of the joint model, and
classification of a new recording with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from workflow_runner import WorkflowCopy, inter_split, tiny_config

from ecgbeats.artifacts import SHAP_VALUES
from ecgbeats.model import load_model
from synthetic_ecg import TINY_RECORDS, write_record

REPO_ROOT = Path(__file__).resolve().parents[1]
INTER = yaml.safe_load((REPO_ROOT / "config" / "inter_patient.yaml").read_text())


def test_inter_patient_rr_model_end_to_end(tiny_db: Path, tmp_path: Path):
    records = list(TINY_RECORDS)
    new = write_record(tmp_path / "new", "new360", ["N", "N", "A", "N", "V"] * 8)
    assert new.size == 40
    workflow = WorkflowCopy(tmp_path / "workflow")
    rr = INTER["model"]["rr_features"]
    assert rr  # the shipped inter config uses the RR branch
    config = tiny_config(
        tiny_db,
        records,
        tasks=["aami"],
        split=inter_split(records[:4], records[4:]),
        train={"epochs": 2, "seeds": [5, 2]},
        shap={"background": 10, "profile_beats": 3},
        umap={"max_points": 300},
        classify={"records": [str(tmp_path / "new" / "new360")], "task": "aami", "split": "inter"},
    )
    workflow.write_config("tiny.yaml", config)
    configfiles = ["config/inter_patient.yaml", "tiny.yaml"]
    base = "results/inter/aami"
    targets = [
        f"{base}/seeds.tsv",
        f"{base}/ec57.tsv",
        f"{base}/interpret/shap_grid.png",
        f"{base}/interpret/umap.tsv",
        "classify_all",
    ]
    workflow.run(*targets, configfiles=configfiles)

    # One model per seed; the first seed's is the representative one.
    first = workflow.path(f"{base}/seeds/5/model.pt").read_bytes()
    assert workflow.path(f"{base}/model.pt").read_bytes() == first
    assert workflow.path(f"{base}/seeds/2/model.pt").read_bytes() != first
    model, names = load_model(workflow.path(f"{base}/model.pt"))
    assert list(model.config.rr_features) == rr and names == ["N", "S", "V", "F"]
    assert model.config.beat_reference == INTER["model"]["beat_reference"]
    # The shipped premature-beat decision, fitted at training and stored with the model.
    assert INTER["prematurity"] == {
        "aami": {
            "normal": "N",
            "premature": "S",
            "fibrillation": ["(AFIB", "(AFL"],
            "fibrillation_inputs": ["irregularity"],
        }
    }
    assert model.prematurity is not None
    assert (model.prematurity.normal, model.prematurity.premature) == (0, 1)
    gate = model.prematurity.fibrillation
    assert gate is not None and gate.inputs == ("irregularity",)  # the records have AF episodes

    summary = pd.read_csv(workflow.path(f"{base}/seeds.tsv"), sep="\t")
    assert {"seed_5", "seed_2", "mean", "sd", "ci_low", "ci_high"} <= set(summary.columns)
    metrics = pd.read_csv(workflow.path(f"{base}/seeds/5/metrics.tsv"), sep="\t")
    macro = metrics.set_index("class").loc["macro avg", "f1"]
    row = summary[(summary["class"] == "all") & (summary["score"] == "macro_f1")].iloc[0]
    assert abs(row["seed_5"] - macro) < 1e-3  # the same test beats, scored the same way

    saved = SHAP_VALUES.load(workflow.path(f"{base}/interpret/shap_values.npz"))
    assert saved["rr_features"].tolist() == rr
    assert saved["grid_shap"].shape[1] == 300 + len(rr)
    assert np.abs(saved["additivity_residual"]).max() < 1e-2

    table = pd.read_csv(workflow.path("results/classify/new360/new360_beats.csv"))
    assert len(table) > 30 and set(table["class"]) <= set(names)

    # Nothing is planned again.
    assert workflow.planned_jobs(*targets[:-1], configfiles=configfiles) == {}
