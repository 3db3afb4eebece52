"""The report's tables: every rule with a TSV report item also declares its HTML view, and
ecgbeats.table_views writes that view.

`snakemake --report` shows HTML inline but offers a TSV only as a download, so each stage that
writes a TSV report item writes its HTML view beside it and the rule declares both as report
items. The rule files are read as text (no Snakemake internals).
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecgbeats.artifacts import write_table
from ecgbeats.errors import InputError
from ecgbeats.table_views import table_html, view_path, write_table_view

REPO = Path(__file__).resolve().parents[1]
RULE_FILES = sorted((REPO / "workflow" / "rules").glob("*.smk"))
RULE = re.compile(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", re.MULTILINE)
DIRECTIVE = re.compile(r"^    (\w+):", re.MULTILINE)


def _report_calls(section: str) -> list[ast.Call]:
    """Every `report(...)` call in the text of a rule's output section, parsed as Python."""
    calls = []
    for match in re.finditer(r"\breport\(", section):
        depth, end = 0, match.start()
        for end in range(match.end() - 1, len(section)):
            depth += {"(": 1, ")": -1}.get(section[end], 0)
            if depth == 0:
                break
        calls.append(ast.parse(section[match.start() : end + 1], mode="eval").body)
    return calls


def report_outputs(rule_files: list[Path] = RULE_FILES) -> dict[str, dict[str, dict]]:
    """Per rule (`file:rule`): its report() outputs, path -> caption, category, ... (literals)."""
    rules = {}
    for smk in rule_files:
        for match in RULE.finditer(smk.read_text()):
            body = match.group(2)
            directives = list(DIRECTIVE.finditer(body))
            sections = [
                body[d.end() : nxt.start() if nxt else len(body)]
                for d, nxt in zip(directives, [*directives[1:], None], strict=True)
                if d.group(1) == "output"
            ]
            items = {}
            for call in _report_calls("".join(sections)):
                path = ast.literal_eval(call.args[0])
                items[path] = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
            rules[f"{smk.name}:{match.group(1)}"] = items
    return rules


def check_views(rule: str, items: dict[str, dict]) -> None:
    """Each .tsv report item of `items` (a rule's) has a .html one of the same stem, with the
    same caption, category and subcategory, and the labels of the TSV with `item` moved to a
    last `table` label (one `item` value for both would make the report show them as one row
    with a toggle); no labels where the TSV has none."""
    for path, flag in items.items():
        if not path.endswith(".tsv"):
            continue
        page = path.removesuffix(".tsv") + ".html"
        assert page in items, f"{rule}: report item {path} has no report() output {page}"
        view = items[page]
        for key in ("caption", "category", "subcategory"):
            assert view.get(key) == flag.get(key), f"{rule}: {key} of {page} differs from the TSV's"
        labels = flag.get("labels")
        if labels is not None:
            item = labels.get("item", "table")
            labels = {**{k: v for k, v in labels.items() if k != "item"}, "table": item}
        view_labels = view.get("labels")
        assert (view_labels and list(view_labels.items())) == (labels and list(labels.items())), (
            f"{rule}: labels of {page}: {view_labels}, expected {labels}"
        )


def test_the_rule_files_are_read():
    rules = report_outputs()
    assert "evaluation.smk:evaluate_model" in rules
    assert "results/{split}/{task}/metrics.tsv" in rules["evaluation.smk:evaluate_model"]
    tables = [p for items in rules.values() for p in items if p.endswith(".tsv")]
    assert len(tables) >= 11, tables


@pytest.mark.parametrize("rule", sorted(report_outputs()))
def test_every_tsv_report_item_has_its_html_view_in_the_same_rule(rule: str):
    check_views(rule, report_outputs()[rule])


def test_a_rule_without_the_view_fails(tmp_path: Path):
    smk = tmp_path / "forgot.smk"
    smk.write_text(
        "rule forgot:\n"
        "    input:\n"
        '        report("results/in.tsv", caption="x.rst"),\n'
        "    output:\n"
        '        table=report("results/{x}/t.tsv", caption="x.rst", category="data"),\n'
        '        figure=report("results/{x}/t.png", caption="y.rst"),\n'
        "    script:\n"
        '        "x.py"\n'
    )
    items = report_outputs([smk])["forgot.smk:forgot"]
    assert set(items) == {"results/{x}/t.tsv", "results/{x}/t.png"}  # inputs are not outputs
    with pytest.raises(AssertionError, match="has no report"):
        check_views("forgot", items)
    tsv = items["results/{x}/t.tsv"]
    labelled = {**tsv, "labels": {"split": "{x}", "item": "t"}}
    view = {**tsv, "labels": {"split": "{x}", "table": "t"}}
    check_views("ok", {"a.tsv": labelled, "a.html": view})
    with pytest.raises(AssertionError, match="labels"):
        check_views("same item", {"a.tsv": labelled, "a.html": labelled})
    with pytest.raises(AssertionError, match="caption"):
        check_views("caption", {"a.tsv": tsv, "a.html": {**tsv, "caption": "z.rst"}})


class TableParser(HTMLParser):
    """Cells of the first HTML table, row by row, its caption and the text after the table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self.after = ""
        self._in: str | None = None
        self._table_done = False

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
        if tag == "table":
            self._table_done = True

    def handle_data(self, data: str) -> None:
        if self._in == "caption":
            self.caption += data
        elif self._in:
            self.rows[-1][-1] += data
        elif self._table_done:
            self.after += data


def test_table_html_holds_every_cell_rounded_and_escaped():
    table = pd.DataFrame({"class": ["<b>N</b>", "NA"], "support": [3, 4], "f1": [0.123456, np.nan]})
    page = table_html(table, "metrics & more", digits=3)
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
    assert parser.after.strip() == ""  # no note unless asked


def test_write_table_view_writes_the_page_beside_the_tsv(tmp_path: Path):
    table = pd.DataFrame(
        {"class": ["NA", "<i>N</i>", "V & F"], "beats": [3, 4, 5], "f1": [0.123456, np.nan, 1]}
    )
    source = tmp_path / "metrics.tsv"
    write_table(source, table, "%.6f")
    page = write_table_view(source)
    assert page == tmp_path / "metrics.html" == view_path(source)
    text = page.read_text(encoding="utf-8")
    assert "<i>N</i>" not in text and "<title>" + str(source) + "</title>" in text
    parser = TableParser()
    parser.feed(text)
    assert parser.caption == str(source)  # the path as given
    assert parser.rows == [
        ["class", "beats", "f1"],
        ["NA", "3", "0.1235"],  # a class called NA stays a name; 4 decimals
        ["<i>N</i>", "4", "NaN"],
        ["V & F", "5", "1.0000"],
    ]
    assert " ".join(parser.after.split()) == (
        "The TSV table metrics.tsv rendered for reading (values rounded to 4 decimals, NaN where "
        "undefined or not reported); the .tsv item downloads the table itself."
    )
    # a relative path as given is the title, and the page lands beside it
    relative = Path("sub") / "counts.tsv"
    (tmp_path / "sub").mkdir()
    write_table(tmp_path / relative, table, "%.6f")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        assert write_table_view(str(relative)) == relative.with_suffix(".html")
        parser = TableParser()
        parser.feed(relative.with_suffix(".html").read_text(encoding="utf-8"))
    assert parser.caption == str(relative)


def test_write_table_view_names_a_missing_table_and_wants_a_tsv(tmp_path: Path):
    with pytest.raises(InputError, match="no such table"):
        write_table_view(tmp_path / "missing.tsv")
    assert not (tmp_path / "missing.html").exists()
    with pytest.raises(ValueError, match="not a .tsv"):
        write_table_view(tmp_path / "table.csv")
