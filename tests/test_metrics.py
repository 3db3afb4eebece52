"""Metrics of ecgbeats.metrics against hand computations and scikit-learn; plotting smoke tests."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import (
    average_precision_score,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize

from ecgbeats import metrics, plots
from ecgbeats.artifacts import write_table
from ecgbeats.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[1]
NAMES = ["A", "B", "C"]

# Six beats, three classes. argmax predictions: 0, 0, 1, 1, 2, 2 against truth 0, 0, 0, 1, 1, 2,
# so class 0: TP 2 FP 0 FN 1 TN 3; class 1: TP 1 FP 1 FN 1 TN 3; class 2: TP 1 FP 1 FN 0 TN 4.
Y_TRUE = np.array([0, 0, 0, 1, 1, 2])
Y_SCORE = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.6, 0.3, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.8, 0.1],
        [0.3, 0.3, 0.4],
        [0.1, 0.2, 0.7],
    ]
)
# Worked out by hand from the counts above and from the score rankings (ties count one half in
# ROC-AUC; AP = sum over thresholds of recall increase x precision).
EXPECTED = {
    "accuracy": [5 / 6, 4 / 6, 5 / 6],
    "precision": [1.0, 0.5, 0.5],
    "recall": [2 / 3, 0.5, 1.0],
    "f1": [0.8, 0.5, 2 / 3],
    "roc_auc": [8 / 9, 6.5 / 8, 1.0],
    "average_precision": [11 / 12, 0.75, 1.0],
}


def row(table: pd.DataFrame, name: str) -> pd.Series:
    return table.set_index("class").loc[name]


def test_hand_computed_per_class_metrics():
    table = metrics.classification_table(Y_TRUE, Y_SCORE, NAMES)
    assert list(table["class"]) == [*NAMES, metrics.MACRO, metrics.WEIGHTED]
    assert list(table["support"][:3]) == [3, 2, 1]
    for metric, values in EXPECTED.items():
        np.testing.assert_allclose(table[metric][:3], values, rtol=1e-12, err_msg=metric)
        np.testing.assert_allclose(row(table, metrics.MACRO)[metric], np.mean(values))
        np.testing.assert_allclose(
            row(table, metrics.WEIGHTED)[metric], np.average(values, weights=[3, 2, 1])
        )
    # weighted recall is the overall accuracy: 4 of 6 beats right
    assert row(table, metrics.WEIGHTED)["recall"] == pytest.approx(4 / 6)
    assert (table["note"] == "").all()


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_averages_equal_scikit_learn(average: str):
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, size=300)
    y_score = rng.dirichlet(np.ones(4), size=300)
    y_score[np.arange(300), y_true] += rng.uniform(0, 0.6, size=300)  # better than chance
    y_score /= y_score.sum(axis=1, keepdims=True)
    table = metrics.classification_table(y_true, y_score, list("abcd"))
    got = row(table, f"{average} avg")
    p, r, f, _ = precision_recall_fscore_support(y_true, y_score.argmax(1), average=average)
    assert got["precision"] == pytest.approx(p)
    assert got["recall"] == pytest.approx(r)
    assert got["f1"] == pytest.approx(f)
    assert got["roc_auc"] == pytest.approx(
        roc_auc_score(y_true, y_score, multi_class="ovr", average=average)
    )
    onehot = label_binarize(y_true, classes=range(4))
    assert got["average_precision"] == pytest.approx(
        average_precision_score(onehot, y_score, average=average)
    )
    per_class_auc = roc_auc_score(y_true, y_score, multi_class="ovr", average=None)
    np.testing.assert_allclose(table["roc_auc"][:4], per_class_auc)


def test_one_vs_rest_accuracy_is_equation_1():
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 5, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 5, size=200))
    got = metrics.one_vs_rest_accuracy(y_true, y_pred, 5)
    for c in range(5):
        tp = np.sum((y_true == c) & (y_pred == c))
        tn = np.sum((y_true != c) & (y_pred != c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        assert got[c] == pytest.approx((tp + tn) / (tp + tn + fp + fn))
    # it is not the overall accuracy
    assert not np.allclose(got, np.mean(y_true == y_pred))


def test_absent_class_gives_nan_and_a_warning(caplog: pytest.LogCaptureFixture):
    names = [*NAMES, "D"]
    # class D (index 3) has no test beat but is predicted once (beat 4)
    y_score = np.hstack([Y_SCORE, np.zeros((6, 1))])
    y_score[4] = [0.1, 0.1, 0.1, 0.7]
    with caplog.at_level(logging.WARNING, logger="ecgbeats.metrics"):
        table = metrics.classification_table(Y_TRUE, y_score, names)
    assert any("D" in r.getMessage() and "no beat" in r.getMessage() for r in caplog.records)
    d = row(table, "D")
    assert d["support"] == 0
    assert np.isnan([d["recall"], d["f1"], d["roc_auc"], d["average_precision"]]).all()
    assert d["precision"] == 0.0  # predicted once, wrongly: a real precision of 0
    assert d["accuracy"] == pytest.approx(5 / 6)  # the one false positive
    assert "absent" in d["note"]
    macro = row(table, metrics.MACRO)
    present = table.iloc[:3]
    for metric in metrics.METRICS:
        assert macro[metric] == pytest.approx(present[metric].mean())
    assert "3 of 4" in macro["note"]
    assert not table[list(metrics.METRICS)].iloc[-1].isna().any()


def test_absent_and_never_predicted_class_has_nan_precision():
    y_score = np.hstack([Y_SCORE, np.zeros((6, 1))])
    table = metrics.classification_table(Y_TRUE, y_score, [*NAMES, "D"])
    assert np.isnan(row(table, "D")["precision"])
    assert row(table, "D")["accuracy"] == 1.0


def test_present_class_never_predicted_has_precision_zero():
    y_score = Y_SCORE.copy()
    y_score[5] = [0.1, 0.8, 0.1]  # class C's only beat now predicted B
    y_score[4] = [0.3, 0.4, 0.3]
    table = metrics.classification_table(Y_TRUE, y_score, NAMES)
    assert row(table, "C")["precision"] == 0.0
    assert row(table, "C")["recall"] == 0.0


@pytest.mark.parametrize(
    ("y_true", "y_score", "message"),
    [
        (Y_TRUE, Y_SCORE[:, :2], "expected"),
        (Y_TRUE[:5], Y_SCORE, "expected"),
        (Y_TRUE + 1, Y_SCORE, "0..2"),
        (Y_TRUE.astype(float), Y_SCORE, "integer"),
        (Y_TRUE, np.where(Y_SCORE > 0.6, np.nan, Y_SCORE), "NaN"),
        (Y_TRUE[:0], Y_SCORE[:0], "empty"),
    ],
)
def test_bad_input_raises_input_error(y_true, y_score, message: str):
    with pytest.raises(InputError, match=message):
        metrics.classification_table(y_true, y_score, NAMES)


def test_confusion_matrices_and_curves_with_absent_class():
    counts, normalised = metrics.confusion_matrices(Y_TRUE, Y_SCORE.argmax(1), 4)
    np.testing.assert_array_equal(counts[:3, :3], [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    np.testing.assert_allclose(normalised[0, :3], [2 / 3, 1 / 3, 0])
    assert np.isnan(normalised[3]).all()
    y_score = np.hstack([Y_SCORE, np.zeros((6, 1))])
    roc = metrics.roc_curves(Y_TRUE, y_score)
    pr = metrics.pr_curves(Y_TRUE, y_score)
    assert roc[3] is None and pr[3] is None
    fpr, tpr = roc[0]
    assert np.trapezoid(tpr, fpr) == pytest.approx(8 / 9)


def test_compare_with_paper_differences(tmp_path: Path):
    ours = metrics.classification_table(Y_TRUE, Y_SCORE, NAMES)
    paper_file = tmp_path / "paper.tsv"
    paper_file.write_text(
        "# source: a test\nclass\tprecision\trecall\nA\t0.9\t\nC\t0.25\t0.5\nmacro avg\t\t0.7\n"
    )
    paper = metrics.read_paper_table(str(paper_file))
    assert list(paper.columns) == ["class", *metrics.METRICS]
    table = metrics.compare_with_paper(ours, paper)
    assert list(table["class"]) == list(ours["class"])
    assert len(table.columns) == 1 + 3 * len(metrics.METRICS)
    a, b, c, macro = (row(table, n) for n in ("A", "B", "C", metrics.MACRO))
    assert a["precision_paper"] == 0.9
    assert a["precision_difference"] == pytest.approx(1.0 - 0.9)
    assert np.isnan(a["recall_paper"]) and np.isnan(a["recall_difference"])
    assert a["recall_ours"] == pytest.approx(2 / 3)
    assert np.isnan(b["precision_paper"])
    assert c["recall_difference"] == pytest.approx(1.0 - 0.5)
    assert macro["recall_difference"] == pytest.approx(np.mean(EXPECTED["recall"]) - 0.7)


def test_metrics_table_round_trip(tmp_path: Path):
    """What the evaluation writes (6 decimals, NaN, a class called NA) reads back as written."""
    names = ["NA", "B", "C", "D"]
    y_score = np.hstack([Y_SCORE, np.zeros((6, 1))])
    table = metrics.classification_table(Y_TRUE, y_score, names)
    path = tmp_path / "metrics.tsv"
    write_table(path, table, float_format="%.6f")
    again = metrics.read_metrics_table(path)
    assert list(again["class"]) == [*names, metrics.MACRO, metrics.WEIGHTED]
    assert np.isnan(again.loc[3, "recall"]) and "absent" in again.loc[3, "note"]
    np.testing.assert_allclose(again["f1"], table["f1"], atol=5e-7)
    table.drop(columns="roc_auc").to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match="roc_auc"):
        metrics.read_metrics_table(path)


def test_read_paper_table_rejects_bad_files(tmp_path: Path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("class\tsensitivity\nA\t0.9\n")
    with pytest.raises(InputError, match="sensitivity"):
        metrics.read_paper_table(str(bad))
    bad.write_text("name\tprecision\nA\t0.9\n")
    with pytest.raises(InputError, match="'class'"):
        metrics.read_paper_table(str(bad))
    with pytest.raises(InputError, match="cannot read"):
        metrics.read_paper_table(str(tmp_path / "missing.tsv"))


@pytest.mark.parametrize(("task", "table"), [("six", 1), ("ten", 2)])
def test_shipped_paper_tables_match_the_task_classes(task: str, table: int):
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    path = REPO_ROOT / f"workflow/resources/paper_table{table}.tsv"
    text = path.read_text()
    assert "# source:" in text and "preprints.org" in text
    paper = metrics.read_paper_table(str(path))
    classes = list(dict.fromkeys(config["class_maps"][task].values()))
    assert list(paper["class"]) == [*classes, metrics.MACRO, metrics.WEIGHTED]
    values = paper[list(metrics.METRICS)].to_numpy()
    # Tables 1 and 2 of the preprint, complete: every cell a number in [0, 1].
    assert np.all((values >= 0) & (values <= 1))


def history_frame(epochs: int = 4) -> pd.DataFrame:
    """A training history with every column of ecgbeats.artifacts.HISTORY_COLUMNS."""
    epoch = np.arange(1, epochs + 1)
    return pd.DataFrame(
        {
            "epoch": epoch,
            "lr": 5e-4,
            "train_loss": 1 / epoch,
            "train_accuracy": 1 - 0.5 / epoch,
            "train_macro_f1": 1 - 0.6 / epoch,
            "validation_loss": 1.2 / epoch,
            "validation_accuracy": 1 - 0.55 / epoch,
            "validation_macro_f1": [0.5, 0.8, 0.7, 0.8][:epochs],
            "seconds": 1.5,
        }
    )


def test_training_history_series_and_best_epoch():
    epoch, series, best = metrics.training_history_series(history_frame())
    np.testing.assert_array_equal(epoch, [1, 2, 3, 4])
    assert set(series) == {"loss", "accuracy", "macro F1"}
    np.testing.assert_allclose(series["macro F1"][1], [0.5, 0.8, 0.7, 0.8])
    # epochs 2 and 4 tie on macro-F1; training keeps the one with the lower validation loss
    assert best == 4
    nan_f1 = history_frame().assign(validation_macro_f1=np.nan)
    assert metrics.training_history_series(nan_f1)[2] is None


def test_training_history_missing_column_is_named():
    with pytest.raises(InputError, match="validation_loss"):
        metrics.training_history_series(history_frame().drop(columns="validation_loss"), source="h")


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5000
    image = plt.imread(path)
    # not a blank canvas
    assert image[..., :3].std() > 0.01


def save(figure, path: Path) -> Path:
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def test_plots_write_non_empty_pngs(tmp_path: Path):
    names = [*NAMES, "D"]
    y_score = np.hstack([Y_SCORE, np.zeros((6, 1))])
    table = metrics.classification_table(Y_TRUE, y_score, names)
    counts, normalised = metrics.confusion_matrices(Y_TRUE, y_score.argmax(1), 4)
    epoch, series, best = metrics.training_history_series(history_frame())
    paths = [
        save(plots.confusion_matrix_panels(counts, normalised, names, "t"), tmp_path / "cm.png"),
        save(
            plots.roc_curves(
                metrics.roc_curves(Y_TRUE, y_score), table["roc_auc"][:4].to_numpy(), names, "t"
            ),
            tmp_path / "roc.png",
        ),
        save(
            plots.pr_curves(
                metrics.pr_curves(Y_TRUE, y_score),
                table["average_precision"][:4].to_numpy(),
                names,
                "t",
            ),
            tmp_path / "pr.png",
        ),
        save(plots.training_curves(epoch, series, best, "t"), tmp_path / "train.png"),
    ]
    for path in paths:
        assert_png(path)
