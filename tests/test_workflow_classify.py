"""Classifying a new recording through Snakemake (rule classify_all), with a model trained on the
tiny synthetic database; the detector rules run in the same workflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import wfdb
from workflow_runner import WorkflowCopy, tiny_config

from ecgbeats.artifacts import CLASSIFIED_SHAP, DETECTIONS
from synthetic_ecg import TINY_RECORDS, write_record

AAMI_NAMES = ["N", "S", "V", "F"]
AAMI_SYMBOLS = {"N": "N", "S": "A", "V": "V", "F": "F"}


def test_classify_all_writes_table_annotations_and_strip(tiny_db: Path, tmp_path: Path):
    records = list(TINY_RECORDS)[:4]
    # A new recording at 250 Hz, its beats given by its own annotations (beats_from: auto).
    peaks = write_record(tmp_path / "new", "new250", ["N", "N", "A", "V"] * 10, fs=250)
    workflow = WorkflowCopy(tmp_path / "workflow")
    config = tiny_config(
        tiny_db,
        records,
        tasks=["aami"],
        train={"epochs": 1},
        classify={"records": [str(tmp_path / "new" / "new250")], "task": "aami", "split": "intra"},
    )
    workflow.write_config("classify.yaml", config)
    workflow.run(
        "classify_all",
        "results/detection/detector_per_record.tsv",
        "results/intra/aami/detected_beats_per_record.tsv",
        configfiles=["classify.yaml"],
    )

    base = workflow.path("results/classify/new250")
    table = pd.read_csv(base / "new250_beats.csv")
    assert list(table.columns) == ["sample", "time_s", "class", "symbol"] + [
        f"p_{name}" for name in AAMI_NAMES
    ]
    # The annotated beats at the record's own rate, less the first (its window leaves it).
    assert table["sample"].tolist() == peaks[1:].tolist()
    np.testing.assert_allclose(table["time_s"], table["sample"] / 250.0)
    assert set(table["class"]) <= set(AAMI_NAMES)
    assert table["symbol"].tolist() == [AAMI_SYMBOLS[c] for c in table["class"]]
    annotation = wfdb.rdann(str(base / "new250"), "pred")
    assert annotation.fs == 250
    assert annotation.sample.tolist() == table["sample"].tolist()
    assert annotation.symbol == table["symbol"].tolist()
    assert (base / "new250_strip.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "beats from the annotations" in workflow.path("logs/classify/new250.log").read_text()

    # Every classified beat explained: SHAP of its predicted class, summary, shaded strip.
    explained = CLASSIFIED_SHAP.load(base / "new250_shap.npz")
    assert explained["samples"].tolist() == table["sample"].tolist()
    assert [AAMI_NAMES[c] for c in explained["predicted"]] == table["class"].tolist()
    np.testing.assert_allclose(
        explained["confidence"], table[[f"p_{n}" for n in AAMI_NAMES]].max(axis=1), rtol=1e-5
    )
    assert explained["shap"].shape[0] == len(table) and np.abs(explained["shap"]).sum() > 0
    assert explained["least_confident"].size == min(10, len(table))
    summary = pd.read_csv(base / "new250_explanation.tsv", sep="\t")
    assert summary["class"].tolist() == [*AAMI_NAMES, "all"]
    assert summary["beats"].iloc[-1] == len(table)
    shares = summary.filter(like="share_").iloc[-1]
    assert abs(shares.sum() - 1) < 1e-3
    assert (base / "new250_explanation.html").is_file()
    assert (base / "new250_explained_strip.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Detector rules: one detections file per record, and their tables.
    detector = pd.read_csv(workflow.path("results/detection/detector_per_record.tsv"), sep="\t")
    assert detector["record"].astype(str).tolist() == records
    for record, row in zip(records, detector.itertuples(), strict=True):
        found = DETECTIONS.load(workflow.path(f"results/detection/{record}.npz"))
        assert row.reference_beats == found["reference"].size
        assert row.detections == found["detected"].size
        assert row.tp == found["reference_index"].size
    per_record = pd.read_csv(
        workflow.path("results/intra/aami/detected_beats_per_record.tsv"), sep="\t"
    )
    assert (
        per_record["missed_by_detector"] + per_record["dropped_at_edges"] + per_record["evaluated"]
        == per_record["test_beats"]
    ).all()
