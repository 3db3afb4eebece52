"""ecgbeats.summary: the report's summary table and the TSV-to-HTML rendering."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from ecgbeats import summary
from ecgbeats.errors import InputError

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


class TableParser(HTMLParser):
    """Cells of the first HTML table, row by row, and its caption."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "caption":
            self.caption += data
        elif self._in:
            self.rows[-1][-1] += data


def test_table_html_holds_every_cell_rounded_and_escaped():
    table = pd.DataFrame({"class": ["<b>N</b>", "NA"], "support": [3, 4], "f1": [0.123456, np.nan]})
    page = summary.table_html(table, "metrics & more", digits=3)
    assert page.startswith("<!DOCTYPE html>")
    assert "<b>N</b>" not in page  # markup in cells is text, not HTML
    parser = TableParser()
    parser.feed(page)
    assert parser.caption == "metrics & more"
    assert parser.rows == [
        ["class", "support", "f1"],
        ["<b>N</b>", "3", "0.123"],
        ["NA", "4", "NaN"],
    ]
