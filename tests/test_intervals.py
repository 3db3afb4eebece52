"""Scores over seeds and bootstrap intervals over records (ecgbeats.intervals) and the
summarise_seeds stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score
from test_artifacts_model import write_dataset

from ecgbeats.artifacts import PREDICTIONS
from ecgbeats.errors import InputError
from ecgbeats.intervals import confusion_scores, record_confusions, seed_summary
from ecgbeats.stages.evaluation import BootstrapOptions, summarise_seeds

NAMES = ["N", "S", "V"]


def predictions(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    records = np.array([f"r{i}" for i in rng.integers(0, 8, n)])
    y_true = rng.choice(3, n, p=[0.7, 0.1, 0.2])
    y_pred = np.where(rng.random(n) < 0.8, y_true, rng.integers(0, 3, n))
    return records, y_true, y_pred


def test_record_confusions_and_scores_match_scikit_learn():
    records, y_true, y_pred = predictions(0)
    names, confusion = record_confusions(records, y_true, y_pred, 3)
    assert names == sorted(set(records)) and confusion.shape == (len(names), 3, 3)
    assert confusion.sum() == y_true.size
    first = records == names[0]
    assert confusion[0, 1, 2] == np.sum((y_true[first] == 1) & (y_pred[first] == 2))
    scores = confusion_scores(confusion.sum(axis=0))
    np.testing.assert_allclose(scores["sensitivity"], recall_score(y_true, y_pred, average=None))
    np.testing.assert_allclose(
        scores["positive_predictivity"], precision_score(y_true, y_pred, average=None)
    )
    np.testing.assert_allclose(scores["f1"], f1_score(y_true, y_pred, average=None))
    assert scores["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert scores["accuracy"] == pytest.approx(np.mean(y_true == y_pred))


def test_scores_by_hand_with_an_absent_class():
    # 3 N right, 1 N called S; no true S; 2 V right.
    confusion = np.array([[3, 1, 0], [0, 0, 0], [0, 0, 2]])
    scores = confusion_scores(confusion)
    assert scores["sensitivity"].tolist() == [0.75, 0.0, 1.0]
    assert scores["positive_predictivity"].tolist() == [1.0, 0.0, 1.0]
    assert scores["f1"][0] == pytest.approx(6 / 7)
    # Macro-F1 over the classes with true beats (N, V), as in training's selection.
    assert scores["macro_f1"] == pytest.approx((6 / 7 + 1) / 2)


def test_seed_summary_mean_sd_and_record_bootstrap():
    confusions = []
    per_seed_f1 = []
    for seed in (1, 2, 3):
        records, y_true, y_pred = predictions(seed)
        names, confusion = record_confusions(records, y_true, y_pred, 3)
        assert len(names) == 8
        confusions.append(confusion)
        per_seed_f1.append(f1_score(y_true, y_pred, average=None))
    table = seed_summary(np.stack(confusions), NAMES, [1, 2, 3], replicates=400, seed=0)
    row = table[(table["class"] == "S") & (table["score"] == "f1")].iloc[0]
    values = np.array(per_seed_f1)[:, 1]
    assert row["mean"] == pytest.approx(values.mean())
    assert row["sd"] == pytest.approx(values.std(ddof=1))
    assert [row[f"seed_{s}"] for s in (1, 2, 3)] == pytest.approx(values.tolist())
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert list(table["class"].unique()) == [*NAMES, "all"]
    assert set(table[table["class"] == "all"]["score"]) == {"accuracy", "macro_f1"}
    again = seed_summary(np.stack(confusions), NAMES, [1, 2, 3], replicates=400, seed=0)
    pd.testing.assert_frame_equal(table, again)  # seeded
    # One seed: no sd, still an interval.
    single = seed_summary(np.stack(confusions[:1]), NAMES, [1], replicates=50, seed=0)
    assert single["sd"].isna().all() and (single["ci_high"] >= single["ci_low"]).all()


def test_intervals_resample_records_not_beats():
    # Two records, one perfect and one all wrong: beat resampling would give a narrow interval
    # around 0.5; record resampling draws both-perfect and both-wrong test sets.
    confusion = np.zeros((1, 2, 2, 2), dtype=np.int64)
    confusion[0, 0] = [[500, 0], [0, 500]]
    confusion[0, 1] = [[0, 500], [500, 0]]
    table = seed_summary(confusion, ["A", "B"], [0], replicates=400, seed=1)
    accuracy = table[table["score"] == "accuracy"].iloc[0]
    assert accuracy["mean"] == pytest.approx(0.5)
    assert accuracy["ci_low"] == 0.0 and accuracy["ci_high"] == 1.0


def test_seed_summary_checks_its_input():
    with pytest.raises(InputError, match="seeds, records"):
        seed_summary(np.zeros((2, 3, 3)), NAMES, [1, 2], 10, 0)
    with pytest.raises(InputError, match="for 3 classes"):
        seed_summary(np.zeros((1, 2, 2, 2)), NAMES, [1], 10, 0)


def test_summarise_seeds_stage(tmp_path: Path):
    n = 600
    records, y_true, _ = predictions(9, n)
    beats = np.zeros((n, 300), dtype=np.float32)
    dataset = write_dataset(tmp_path / "aami.npz", beats, y_true, NAMES)
    # write_dataset puts every beat in one record; the records of this test differ.
    data = dict(np.load(dataset))
    data["records"] = records
    np.savez(dataset, **data)
    test = np.arange(0, n, 2)
    files = []
    for seed in (5, 6):
        _, _, y_pred = predictions(seed, n)
        path = tmp_path / f"{seed}.npz"
        PREDICTIONS.save(
            path,
            index=test,
            y_true=y_true[test],
            y_pred=y_pred[test],
            probabilities=np.eye(3, dtype=np.float32)[y_pred[test]],
            class_names=np.asarray(NAMES),
        )
        files.append(path)
    summary = tmp_path / "seeds.tsv"
    summarise_seeds(dataset, files, summary, [5, 6], BootstrapOptions(replicates=100, seed=0))
    table = pd.read_csv(summary, sep="\t")
    assert {"seed_5", "seed_6", "ci_low", "ci_high"} <= set(table.columns)
    assert summary.with_suffix(".html").is_file()
    with pytest.raises(InputError, match="2 prediction files for 3 seeds"):
        summarise_seeds(dataset, files, summary, [5, 6, 7], BootstrapOptions(100, 0))
    PREDICTIONS.save(
        files[1],
        index=test[:-1],
        y_true=y_true[test[:-1]],
        y_pred=y_true[test[:-1]],
        probabilities=np.eye(3, dtype=np.float32)[y_true[test[:-1]]],
        class_names=np.asarray(NAMES),
    )
    with pytest.raises(InputError, match="not the test beats"):
        summarise_seeds(dataset, files, summary, [5, 6], BootstrapOptions(100, 0))
