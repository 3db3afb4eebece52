"""The data, preprocessing and dataset stages run for real, on tiny records and on MIT-BIH."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import wfdb
from workflow_runner import WorkflowCopy, tiny_config

from ecgbeats.records import BEAT_SYMBOLS
from synthetic_ecg import TINY_RECORDS

DATA_TARGETS = ["results/datasets/beats_per_record.tsv"]


def annotated_beats(directory: Path, record: str) -> Counter:
    symbols = wfdb.rdann(str(directory / record), "atr").symbol
    return Counter(s for s in symbols if s in BEAT_SYMBOLS)


def check_record_outputs(workflow: WorkflowCopy, data_dir: Path, record: str) -> dict:
    """Kept + edge-dropped beats of a record equal its beat annotations, symbol by symbol."""
    with np.load(workflow.path(f"results/beats/{record}.npz")) as beats:
        kept = Counter(beats["symbols"].tolist())
        dropped = Counter(beats["dropped_symbols"].tolist())
        assert kept + dropped == annotated_beats(data_dir, record)
        assert int(beats["edge_drops"]) == sum(dropped.values())
        assert beats["beats"].dtype == np.float32
        assert beats["beats"].shape == (sum(kept.values()), 300)
        assert np.isfinite(beats["beats"]).all()
        # z-scored per beat
        np.testing.assert_allclose(beats["beats"].mean(axis=1), 0, atol=1e-4)
        return {"lead": str(beats["lead"]), "kept": kept, "dropped": dropped}


@pytest.fixture(scope="module")
def tiny_run(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory) -> WorkflowCopy:
    workflow = WorkflowCopy(tmp_path_factory.mktemp("tiny-data"))
    records = list(TINY_RECORDS)
    workflow.write_config("tiny.yaml", tiny_config(tiny_db, records, tasks=["six", "ten", "aami"]))
    targets = DATA_TARGETS + [
        f"results/figures/{task}/class_distribution.png" for task in ("six", "ten", "aami")
    ]
    workflow.run(*targets, "results/figures/denoising_900.png", configfiles=["tiny.yaml"])
    return workflow


def test_tiny_records_beats_match_annotations(tiny_run: WorkflowCopy, tiny_db: Path):
    drops = 0
    for record in TINY_RECORDS:
        outputs = check_record_outputs(tiny_run, tiny_db, record)
        assert outputs["lead"] == "MLII"
        drops += sum(outputs["dropped"].values())
    # the synthetic first beat sits 0.25 s (90 samples) into the record: always dropped
    assert drops >= len(TINY_RECORDS)


def test_tiny_datasets_hold_task_classes(tiny_run: WorkflowCopy):
    with np.load(tiny_run.path("results/datasets/ten.npz")) as ten:
        assert ten["class_names"].tolist()[6:] == ["PFHB", "NEB", "AAPB", "VFB"]
        assert "E" not in set(ten["symbols"].tolist())  # E is not a class of `ten`
        assert ten["beats"].shape[0] == ten["labels"].size == ten["records"].size
    with np.load(tiny_run.path("results/datasets/aami.npz")) as aami:
        names = aami["class_names"].tolist()
        symbols = aami["symbols"]
        assert names == ["N", "S", "V", "F"]
        assert set(aami["labels"][symbols == "E"].tolist()) == {names.index("V")}
        assert set(aami["labels"][symbols == "j"].tolist()) == {names.index("N")}
    counts = (tiny_run.path("results/datasets/six_class_counts.tsv")).read_text().splitlines()
    assert counts[0] == "class\tsymbols\tbeats\tshare"
    assert len(counts) == 7
    assert tiny_run.path("results/figures/denoising_900.png").stat().st_size > 10_000


def test_rerun_is_a_no_op(tiny_run: WorkflowCopy):
    result = tiny_run.run("-n", *DATA_TARGETS, configfiles=["tiny.yaml"])
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.mitdb
def test_mitdb_records_beats_match_annotations(mitdb_dir: Path, tmp_path: Path):
    """Real records: 102 has no MLII (V5 is used), 114 has MLII in channel 1."""
    records = ["100", "102", "114", "207"]
    workflow = WorkflowCopy(tmp_path)
    workflow.write_config(
        "mitdb.yaml",
        {
            "data_dir": str(mitdb_dir),
            "records": records,
            "tasks": ["aami"],
            "denoise_figure": {"record": "100", "start_s": 0, "seconds": 10},
        },
    )
    workflow.run(*DATA_TARGETS, "results/datasets/aami.npz", configfiles=["mitdb.yaml"])
    leads = {r: check_record_outputs(workflow, mitdb_dir, r)["lead"] for r in records}
    assert leads == {"100": "MLII", "102": "V5", "114": "MLII", "207": "MLII"}
    with np.load(workflow.path("results/beats/100.npz")) as beats:
        # 100 has 2273 beat annotations; the first (sample 18) and the last one fall off the edges
        assert beats["beats"].shape[0] == 2271 and int(beats["edge_drops"]) == 2
