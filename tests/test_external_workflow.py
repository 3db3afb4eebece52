"""External databases and the noise stress test through Snakemake, on the tiny synthetic database.

Stand-ins of its records (resampled to 128 and 250 Hz, leads renamed, A annotated S) are scored
as external databases and compared with the MIT-BIH evaluation of the same beats; broken
databases fail alone; noise at a very high SNR reproduces the clean test metrics; the leads of
classification and of external databases rerun nothing of MIT-BIH.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
import yaml
from workflow_runner import WorkflowCopy, inter_split, tiny_config

from ecgbeats.artifacts import DATASET, EXTERNAL_PREDICTIONS, PREDICTIONS, RECORD_BEATS
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.stages.noise import NoiseOptions, noise_stress
from ecgbeats.standins import write_standin
from synthetic_ecg import TINY_RECORDS

CONFIG = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
RECORDS = list(TINY_RECORDS)[:4]
STANDINS = {"lowrate": 128.0, "midrate": 250.0}
#: External scoring of a stand-in against the MIT-BIH evaluation of the same test beats: the
#: predicted class agrees for at least this share of them (the stand-in's beats differ by the
#: resampling and by annotations rounded to its rate, at most one sample at 360 Hz).
MIN_AGREEMENT = 0.95
#: Noise at a very high SNR: each metric of the noise curve within this of the clean test metrics.
HIGH_SNR_TOLERANCE = 1e-3
MODELS = [{"split": "intra", "task": "aami"}]
TARGETS = (
    "external_all",
    "results/intra/aami/metrics.tsv",
    "results/noise/intra/aami/noise_curve.png",
)


def standin_database(tiny_db: Path, directory: Path, fs: float) -> Path:
    for record in RECORDS:
        write_standin(
            tiny_db / record,
            directory,
            f"s{record}",
            fs,
            {"MLII": "ECG1", "V1": "ECG2"},
            {"A": "S"},
        )
    return directory


def database(name: str, data_dir: Path, **extra) -> dict:
    return {
        "name": name,
        "data_dir": str(data_dir),
        "annotation_extension": "atr",
        "leads": ["ECG1"],
        "symbol_map": {"S": "A"},
        "records": [],
        **extra,
    }


@pytest.fixture(scope="module")
def external_run(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory) -> WorkflowCopy:
    base = tmp_path_factory.mktemp("external")
    databases = [
        database(name, standin_database(tiny_db, base / name, fs), records=[])
        for name, fs in STANDINS.items()
    ]
    workflow = WorkflowCopy(base / "workflow")
    config = tiny_config(tiny_db, RECORDS, tasks=["aami"], train={"epochs": 1})
    config["external"] = {"databases": databases, "models": MODELS}
    # Noise far below the signal: the stress test must give the clean metrics.
    config["noise"] = {"snr_db": [100], "sources": ["bw", "ma", "em"], "records_dir": "", "seed": 1}
    workflow.write_config("external.yaml", config)
    workflow.run(*TARGETS, configfiles=["external.yaml"])
    return workflow


@pytest.mark.parametrize("name", list(STANDINS))
def test_a_standin_scores_like_the_mitbih_evaluation_of_its_beats(
    external_run: WorkflowCopy, tiny_db: Path, name: str
):
    base = external_run.path(f"results/external/{name}/intra/aami")
    metrics = pd.read_csv(base / "metrics.tsv", sep="\t")
    evaluated = pd.read_csv(external_run.path("results/intra/aami/metrics.tsv"), sep="\t")
    assert metrics["class"].tolist() == evaluated["class"].tolist()
    assert list(metrics.columns) == list(evaluated.columns)
    per_record = pd.read_csv(base / "per_record.tsv", sep="\t")
    assert per_record["record"].tolist() == [f"s{r}" for r in RECORDS]
    assert (per_record["lead"] == "ECG1").all()
    assert (per_record["source_fs"] == STANDINS[name]).all()
    for item in ("metrics.html", "per_record.html", "ec57.tsv", "ec57.html"):
        assert (base / item).is_file()
    assert (base / "figures/confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"

    # The same test beats: MIT-BIH's evaluation against the stand-in's external scores.
    external = EXTERNAL_PREDICTIONS.load(base / "predictions.npz")
    test = PREDICTIONS.load(external_run.path("results/intra/aami/predictions.npz"))
    data = DATASET.load(external_run.path("results/datasets/aami.npz"))
    agree, total = 0, 0
    for record in RECORDS:
        rows = test["index"][data["records"][test["index"]] == record]
        at_360 = np.rint(
            external["samples"][external["records"] == f"s{record}"] * 360.0 / STANDINS[name]
        )
        mine = external["y_pred"][external["records"] == f"s{record}"]
        theirs = test["y_pred"][np.isin(test["index"], rows)]
        position = np.searchsorted(at_360, data["samples"][rows])
        near = np.abs(at_360[np.minimum(position, at_360.size - 1)] - data["samples"][rows])
        before = np.abs(at_360[np.maximum(position - 1, 0)] - data["samples"][rows])
        position = np.where(before < near, position - 1, position)
        assert np.minimum(near, before).max() <= 1
        agree += int((mine[position] == theirs).sum())
        total += rows.size
    assert total > 0 and agree / total >= MIN_AGREEMENT, (agree, total)


def test_noise_at_a_very_high_snr_reproduces_the_clean_metrics(external_run: WorkflowCopy):
    curve = pd.read_csv(external_run.path("results/noise/intra/aami/noise_curve.tsv"), sep="\t")
    evaluated = pd.read_csv(external_run.path("results/intra/aami/metrics.tsv"), sep="\t")
    columns = ["precision", "recall", "f1", "accuracy"]
    assert set(curve["source"]) == {"none", "bw", "ma", "em"}
    assert set(curve["noise"]) == {"none", "generated"}
    for source, rows in curve.groupby("source"):
        np.testing.assert_allclose(
            rows[columns].to_numpy(float),
            evaluated[columns].to_numpy(float),
            atol=0 if source == "none" else HIGH_SNR_TOLERANCE,
            err_msg=source,
        )
    assert external_run.path("results/noise/intra/aami/noise_curve.html").is_file()


def test_a_broken_database_fails_alone_naming_it(
    external_run: WorkflowCopy, tiny_db: Path, tmp_path: Path
):
    workflow = WorkflowCopy.clone(external_run, tmp_path / "workflow")
    # No usable lead: the stand-in's leads are ECG1 / ECG2, this database asks for MLIII.
    no_lead = database("nolead", tmp_path / "nolead", leads=["MLIII"])
    standin_database(tiny_db, tmp_path / "nolead", 250.0)
    # No annotations: headers and signals only.
    bare = tmp_path / "bare"
    standin_database(tiny_db, bare, 250.0)
    for annotation in bare.glob("*.atr"):
        annotation.unlink()
    # An annotation symbol that is no MIT-BIH code.
    odd = tmp_path / "odd"
    record = write_standin(tiny_db / RECORDS[0], odd, "odd1", 250.0, {"MLII": "ECG1"}, {})
    beats = wfdb.rdann(str(record), "atr")
    labels = pd.DataFrame({"label_store": [42], "symbol": ["X"], "description": ["odd"]})
    wfdb.wrann(
        "odd1",
        "atr",
        beats.sample,
        ["X" if s == "A" else s for s in beats.symbol],
        custom_labels=labels,
        fs=250,
        write_dir=str(odd),
    )
    good = external_run.path("results/external/lowrate/intra/aami/metrics.tsv")
    before = good.read_bytes()
    shutil.rmtree(workflow.path("results/external/midrate"))
    overlay = {
        "external": {
            "databases": [
                database("midrate", tmp_path / "mid"),
                no_lead,
                database("bare", bare),
                database("odd", odd, symbol_map={}),
            ],
            "models": MODELS,
        }
    }
    standin_database(tiny_db, tmp_path / "mid", 250.0)
    workflow.write_config("broken.yaml", overlay)
    result = workflow.run(
        "--keep-going", "external_all", configfiles=["external.yaml", "broken.yaml"], check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "database nolead" in output and "none of the preferred leads" in output, output[-3000:]
    assert "database bare: no record with a header and an annotation file" in output
    assert "database odd, record odd1" in output and "'X'" in output
    # The good database is scored all the same, and nothing of the earlier run changed.
    assert workflow.path("results/external/midrate/intra/aami/ec57.tsv").is_file()
    assert workflow.path("results/external/lowrate/intra/aami/metrics.tsv").read_bytes() == before


def test_leads_of_classification_and_external_databases_rerun_no_mitbih_stage(
    external_run: WorkflowCopy,
):
    workflow = external_run
    workflow.write_config(
        "leads.yaml",
        {
            "classify": {"leads": ["ECG1", "MLII"]},
            "external": {
                "databases": [
                    database(name, workflow.directory.parent / name, leads=["ECG2", "ECG1"])
                    for name in STANDINS
                ],
                "models": MODELS,
            },
        },
    )
    jobs = workflow.planned_jobs(*TARGETS, configfiles=["external.yaml", "leads.yaml"])
    assert jobs.get("score_external_record") == 2 * len(RECORDS), jobs
    assert not {"preprocess_record", "build_dataset", "train_model", "noise_stress"} & set(jobs)


def test_recorded_noise_is_read_from_noise_records(external_run: WorkflowCopy, tmp_path: Path):
    """noise_stress with WFDB noise records (as the stress-test database's bw, ma, em)."""
    rng = np.random.default_rng(0)
    for source in ("bw", "ma", "em"):
        wfdb.wrsamp(
            source,
            fs=360,
            units=["mV", "mV"],
            sig_name=["noise1", "noise2"],
            p_signal=rng.standard_normal((3600, 2)),
            fmt=["16", "16"],
            write_dir=str(tmp_path),
        )
    results = external_run.path("results")
    table = noise_stress(
        results / "datasets/aami.npz",
        results / "intra/aami/split.npz",
        results / "intra/aami/model.pt",
        tmp_path / "noise_curve.tsv",
        [results / f"data/records/{r}.hea" for r in RECORDS],
        [tmp_path / f"{s}.hea" for s in ("ma", "bw")],
        options=NoiseOptions(snr_db=[100.0, 0.0], sources=["bw", "ma"], seed=3),
        leads=CONFIG["leads"],
        denoising=DenoisingOptions(**CONFIG["denoise"]),
        window=BeatOptions(**CONFIG["beats"]),
    )
    assert set(table["noise"]) == {"none", "recorded"}
    assert set(table["source"]) == {"none", "bw", "ma"}
    clean = table[table["source"] == "none"]["f1"].to_numpy()
    loud = table[(table["source"] == "ma") & (table["snr_db"] == 100)]["f1"].to_numpy()
    np.testing.assert_allclose(loud, clean, atol=HIGH_SNR_TOLERANCE)
    assert (tmp_path / "noise_curve.html").is_file()


def test_a_training_database_joins_the_inter_models_training_part(
    external_run: WorkflowCopy, tiny_db: Path, tmp_path: Path
):
    """Another database with `train: true`: its records are preprocessed as MIT-BIH's and every
    one of their beats joins the inter-patient model's training part; the intra model and the
    MIT-BIH stages do not change, and switching it off retrains the inter model."""
    workflow = WorkflowCopy.clone(external_run, tmp_path / "workflow")
    others = [r for r in TINY_RECORDS if r not in RECORDS]
    for record in others:
        write_standin(
            tiny_db / record, tmp_path / "extra", f"x{record}", 250.0, {"MLII": "ECG1"}, {}
        )
    extra = database("extra", tmp_path / "extra", symbol_map={}, train=True)
    scored = [database(name, workflow.directory.parent / name) for name in STANDINS]
    split = inter_split(RECORDS[:3], RECORDS[3:])
    overlay = {"split": split, "external": {"databases": [*scored, extra], "models": MODELS}}
    workflow.write_config("train_extra.yaml", overlay)
    configfiles = ["external.yaml", "train_extra.yaml"]
    seed = CONFIG["train"]["seeds"][0]
    model = f"results/inter/aami/seeds/{seed}/model.pt"
    jobs = workflow.planned_jobs(model, *TARGETS[:2], configfiles=configfiles)
    assert jobs.get("preprocess_external_record") == len(others), jobs
    assert jobs.get("build_external_dataset") == 1 and jobs.get("train_model") == 1, jobs
    # The intra model scores the new database too (it never saw it); neither MIT-BIH's stages
    # nor the intra model or the other databases' scores rerun.
    assert jobs.get("score_external_record") == len(others), jobs
    assert not {"preprocess_record", "build_dataset"} & set(jobs), jobs
    workflow.run(model, configfiles=configfiles)
    counts = pd.read_csv(
        workflow.path("results/external/extra/datasets/aami_class_counts.tsv"), sep="\t"
    )
    beats = int(counts["beats"].sum())
    assert beats > 0 and counts["class"].tolist() == ["N", "S", "V", "F"]
    log = workflow.path(f"logs/training/inter/aami/seeds/{seed}/train_model.log").read_text()
    assert (
        f"training beats from results/external/extra/datasets/aami.npz: {beats} of "
        f"{len(others)} record(s)" in log
    )
    per_record = RECORD_BEATS.load(workflow.path(f"results/external/extra/beats/x{others[0]}.npz"))
    assert str(per_record["lead"]) == "ECG1" and float(per_record["source_fs"]) == 250.0
    # Switched off, the inter model trains again without them; nothing else reruns.
    overlay["external"]["databases"] = [*scored, {**extra, "train": False}]
    workflow.write_config("train_extra.yaml", overlay)
    jobs = workflow.planned_jobs(model, configfiles=configfiles)
    assert jobs == {"train_model": 1}, jobs
