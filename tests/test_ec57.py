"""AAMI EC57 statistics (ecgbeats.metrics.ec57_table, stage ec57_table) on hand-computed cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecgbeats import metrics
from ecgbeats.artifacts import PREDICTIONS
from ecgbeats.stages.ec57 import ec57_table

REPO_ROOT = Path(__file__).resolve().parents[1]
NAMES = ["N", "S", "V", "F"]


def labels_of(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y_true, y_pred realising a confusion matrix (true class in rows)."""
    pairs = [
        (t, p)
        for t in range(len(confusion))
        for p in range(len(confusion))
        for _ in range(confusion[t, p])
    ]
    true, pred = zip(*pairs, strict=True)
    return np.array(true), np.array(pred)


def test_statistics_of_a_hand_computed_confusion_matrix():
    # rows: true N, S, V, F; columns: predicted. F is never predicted.
    confusion = np.array([[90, 5, 4, 0], [3, 6, 1, 0], [2, 0, 18, 0], [1, 0, 1, 0]])
    y_true, y_pred = labels_of(confusion)
    written = metrics.ec57_table(y_true, y_pred, NAMES, source="this run")
    assert list(written.columns) == list(metrics.EC57_COLUMNS)
    table = written.set_index("class")
    # S: TP 6, FN 4, FP 5, TN 131 - 6 - 4 - 5 = 116.
    assert table.loc["S", "support"] == 10
    assert table.loc["S", "se"] == pytest.approx(6 / 10)
    assert table.loc["S", "ppv"] == pytest.approx(6 / 11)
    assert table.loc["S", "fpr"] == pytest.approx(5 / 121)
    assert table.loc["S", "f1"] == pytest.approx(2 * 6 / (2 * 6 + 5 + 4))
    # N: TP 90, FN 9, FP 6, TN 26.
    assert table.loc["N", "fpr"] == pytest.approx(6 / 32)
    # F is never predicted: +P and F1 undefined (NaN, not 0), Se 0.
    assert table.loc["F", "se"] == 0 and np.isnan(table.loc["F", "ppv"])
    assert np.isnan(table.loc["F", "f1"])
    assert table.loc["gross", "accuracy"] == pytest.approx((90 + 6 + 18) / 131)
    assert table.loc["gross", "support"] == 131


def test_stage_adds_the_published_rows_of_our_classes(tmp_path: Path):
    y_true, y_pred = labels_of(np.array([[5, 1], [1, 3]]))
    predictions = tmp_path / "predictions.npz"
    PREDICTIONS.save(
        predictions,
        index=np.arange(10),
        y_true=y_true,
        y_pred=y_pred,
        probabilities=np.eye(2)[y_pred],
        class_names=np.array(["N", "S"]),
    )
    published = REPO_ROOT / "workflow/resources/published_ds2.tsv"
    result = ec57_table(predictions, tmp_path / "ec57.tsv", [published])
    written = pd.read_csv(tmp_path / "ec57.tsv", sep="\t")
    text = (tmp_path / "ec57.tsv").read_text()
    assert "0.7590" in text and "0.75900000" not in text  # four decimals, numbers not strings
    assert "this run\tN\t6\t" in text  # the support is a count
    assert (tmp_path / "ec57.html").is_file()
    assert len(written) == len(result)
    assert set(written["class"]) == {"N", "S", "gross"}
    chazal = written[(written["source"] == "dechazal2004") & (written["class"] == "S")]
    assert chazal["se"].item() == pytest.approx(0.759)
    assert chazal["f1"].item() == pytest.approx(0.5109)  # derived from Se and +P
    ours = written[written["source"] == "this run"].set_index("class")
    assert ours.loc["S", "se"] == pytest.approx(3 / 4)
    alone = ec57_table(predictions, tmp_path / "alone.tsv")
    assert set(alone["source"]) == {"this run"}
