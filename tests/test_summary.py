"""ecgbeats.summary: the report's summary table; the summary_table stage (TSV and HTML view).

The HTML views of TSV tables (ecgbeats.table_views) are tested in tests/test_report_tables.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecgbeats import summary
from ecgbeats.artifacts import read_table, write_table
from ecgbeats.errors import InputError
from ecgbeats.stages.report import summary_table

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "average_precision"]


def metrics_table(classes: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [*classes, "macro avg", "weighted avg"]
    table = pd.DataFrame({"class": rows, "support": rng.integers(1, 100, len(rows))})
    for metric in METRICS:
        table[metric] = rng.uniform(size=len(rows))
    table["note"] = ""
    return table


def comparison_table(ours: pd.DataFrame, paper: dict[str, dict[str, float]]) -> pd.DataFrame:
    columns = {"class": ours["class"]}
    for metric in METRICS:
        theirs = [paper.get(c, {}).get(metric, np.nan) for c in ours["class"]]
        columns[f"{metric}_ours"] = ours[metric]
        columns[f"{metric}_paper"] = theirs
        columns[f"{metric}_difference"] = ours[metric] - theirs
    return pd.DataFrame(columns)


def test_averages_first_then_classes_with_the_papers_values():
    six = metrics_table(["NOR", "PB", "PAC"], seed=0)
    aami = metrics_table(["N", "S", "V"], seed=1)
    paper = {"macro avg": {"f1": 0.9}, "PB": {"precision": 0.99, "recall": 0.98}}
    table = summary.summary_table({"six": six, "aami": aami}, {"six": comparison_table(six, paper)})

    assert list(table["task"]) == ["six"] * 5 + ["aami"] * 5
    assert list(table["class"]) == [
        *("macro avg", "weighted avg", "NOR", "PB", "PAC"),
        *("macro avg", "weighted avg", "N", "S", "V"),
    ]
    assert list(table["row"][:5]) == ["average", "average", "class", "class", "class"]
    assert list(table.columns[:4]) == ["task", "row", "class", "support"]
    assert list(table.columns[4:8]) == [
        "precision_ours",
        "precision_paper",
        "recall_ours",
        "recall_paper",
    ]
    indexed = table.set_index(["task", "class"])
    assert indexed.loc[("six", "macro avg"), "f1_paper"] == 0.9
    assert indexed.loc[("six", "PB"), "precision_paper"] == 0.99
    assert indexed.loc[("six", "PB"), "recall_ours"] == six.set_index("class").loc["PB", "recall"]
    assert indexed.loc[("six", "weighted avg"), "support"] == six["support"].iloc[-1]
    # not reported by the paper, and no paper table at all for aami
    assert np.isnan(indexed.loc[("six", "NOR"), "f1_paper"])
    assert table.loc[table["task"] == "aami", [f"{m}_paper" for m in METRICS]].isna().all().all()


def test_missing_averages_and_unknown_tasks_are_named():
    six = metrics_table(["NOR", "PB"], seed=0)
    with pytest.raises(InputError, match="task six: no row"):
        summary.summary_table({"six": six[~six["class"].isin(["weighted avg"])]})
    with pytest.raises(InputError, match=r"\['ten'\] without a metrics table"):
        summary.summary_table({"six": six}, {"ten": comparison_table(six, {})})
    with pytest.raises(InputError, match="missing column"):
        summary.summary_table({"six": six.drop(columns="support")})


def test_summary_table_stage_reads_and_writes_the_tables(tmp_path: Path):
    six = metrics_table(["NOR", "NA"], seed=0)  # a class called NA stays a class
    aami = metrics_table(["N", "S"], seed=1)
    paths = {name: tmp_path / f"{name}.tsv" for name in ("six", "aami", "paper")}
    write_table(paths["six"], six, "%.6f")
    write_table(paths["aami"], aami, "%.6f")
    write_table(paths["paper"], comparison_table(six, {"NA": {"f1": 0.5}}), "%.4f")
    output = tmp_path / "summary.tsv"
    summary_table([paths["six"], paths["aami"]], ["six", "aami"], [paths["paper"]], ["six"], output)
    table = read_table(output, text_columns=("class",))
    assert list(table["class"]) == [
        *("macro avg", "weighted avg", "NOR", "NA"),
        *("macro avg", "weighted avg", "N", "S"),
    ]
    indexed = table.set_index(["task", "class"])
    assert indexed.loc[("six", "NA"), "f1_paper"] == 0.5
    assert np.isnan(indexed.loc[("aami", "N"), "f1_paper"])
    assert "NaN" in output.read_text()
    page = output.with_suffix(".html").read_text()  # the report's view of the table
    assert f"<caption>{output}</caption>" in page and page.count("macro avg") == 2
    with pytest.raises(ValueError):  # one metrics table per task
        summary_table([paths["six"]], ["six", "aami"], [], [], output)
