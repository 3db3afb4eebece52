"""The shipped table of published inter-patient (DS1 -> DS2) results is well-formed and sourced."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conftest import REPO_ROOT

PUBLISHED = REPO_ROOT / "workflow" / "resources" / "published_ds2.tsv"
COLUMNS = ["source", "method", "class", "se", "ppv", "fpr", "f1", "f1_derived", "accuracy"]
VALUES = ["se", "ppv", "fpr", "f1", "f1_derived", "accuracy"]
CLASSES = {"N", "S", "V", "F", "Q", "all"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(PUBLISHED, sep="\t", comment="#", dtype={"source": str, "method": str})


@pytest.fixture(scope="module")
def comments() -> str:
    return "\n".join(line for line in PUBLISHED.read_text().splitlines() if line.startswith("#"))


def test_columns_and_keys(table: pd.DataFrame):
    assert list(table.columns) == COLUMNS
    assert not table.empty
    assert table["source"].notna().all() and table["method"].notna().all()
    assert set(table["class"]) <= CLASSES, set(table["class"]) - CLASSES
    assert not table.duplicated(["source", "class"]).any()
    # One method description per source.
    assert (table.groupby("source")["method"].nunique() == 1).all()


def test_raw_rows_have_nine_cells_and_no_nan_text():
    data = [
        line for line in PUBLISHED.read_text().splitlines() if line and not line.startswith("#")
    ]
    for line in data:
        cells = line.split("\t")
        assert len(cells) == len(COLUMNS), line
        # Unknown is an empty cell, never a spelled-out NaN/NA.
        assert not any(re.fullmatch(r"(?i)nan|na|n/a|none|null|-", c) for c in cells), line


def test_every_value_is_empty_or_a_fraction(table: pd.DataFrame):
    for column in VALUES:
        assert pd.api.types.is_float_dtype(table[column]), f"{column} is not numeric"
        given = table[column].dropna()
        assert ((given >= 0) & (given <= 1)).all(), f"{column} outside [0, 1]:\n{given}"


def test_accuracy_only_on_the_all_row(table: pd.DataFrame):
    per_class = table[table["class"] != "all"]
    assert per_class["accuracy"].isna().all(), per_class[per_class["accuracy"].notna()]


def test_every_source_has_a_reference_in_the_comments(table: pd.DataFrame, comments: str):
    for source in table["source"].unique():
        assert f"[{source}]" in comments, f"no reference line for {source}"
    # Each reference gives a DOI or a preprint id, or says that its DOI could not be verified.
    for source in table["source"].unique():
        entry = comments.split(f"[{source}]", 1)[1].split("\n# [", 1)[0]
        pattern = r"doi:10\.\d{4,}/\S+|arXiv:\d{4}\.\d{4,5}|DOI not verified"
        assert re.search(pattern, entry), source


def test_f1_derived_matches_se_and_ppv(table: pd.DataFrame):
    both = table["se"].notna() & table["ppv"].notna()
    # Derived F1 is given exactly where both inputs are, and nowhere else.
    assert (table["f1_derived"].notna() == both).all()
    rows = table[both]
    expected = 2 * rows["se"] * rows["ppv"] / (rows["se"] + rows["ppv"])
    np.testing.assert_allclose(rows["f1_derived"], expected, atol=1e-3)
