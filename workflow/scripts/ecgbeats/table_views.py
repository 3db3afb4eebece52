"""HTML views of the report's TSV tables.

`snakemake --report` shows images, PDFs and HTML inline but offers a TSV only as a download, so
every stage that writes a TSV report item also writes its view with :func:`write_table_view`,
and its rule declares the view as a report item beside the TSV
(tests/test_report_tables.py checks that no rule forgets one).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ecgbeats.artifacts import read_table

TABLE_STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 8px; color: #111; background: #fff; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; white-space: nowrap; }
th { background: #eef; position: sticky; top: 0; }
td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) td { background: #f7f7f7; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 4px 0; }
"""


def table_html(table: pd.DataFrame, title: str, digits: int = 4, note: str = "") -> str:
    """A self-contained HTML page showing ``table`` (floats rounded to ``digits``, NaN as NaN),
    with ``note`` (text, escaped) as a line under the table."""
    body = table.to_html(
        index=False,
        na_rep="NaN",
        float_format=lambda value: f"{value:.{digits}f}",
        border=0,
        classes="report-table",
        escape=True,
    )
    # pandas puts no caption into to_html output; insert it as the table's first child.
    body = body.replace(">", f">\n<caption>{html.escape(title)}</caption>", 1)
    if note:
        body += f"\n<p><em>{html.escape(note)}</em></p>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{TABLE_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def view_path(tsv: str | Path) -> Path:
    """The path of the HTML view of the TSV `tsv`: the same path ending in .html."""
    path = Path(tsv)
    if path.suffix != ".tsv":
        raise ValueError(f"{tsv}: not a .tsv path")
    return path.with_suffix(".html")


def write_table_view(tsv: str | Path) -> Path:
    """Write the HTML view of the TSV table `tsv` (titled with `tsv` as given) next to it, as
    :func:`view_path` names it; returns that path."""
    page = view_path(tsv)
    content = read_table(tsv)
    note = (
        f"The TSV table {Path(tsv).name} rendered for reading (values rounded to 4 decimals, "
        "NaN where undefined or not reported); the .tsv item downloads the table itself."
    )
    page.write_text(table_html(content, str(tsv), note=note), encoding="utf-8")
    return page
