"""Predicted classes as WFDB annotations (ecgbeats.annotations)."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecgbeats.annotations import annotation_symbols, write_annotations
from ecgbeats.errors import InputError

AAMI = {"N": "N", "L": "N", "A": "S", "a": "S", "V": "V", "F": "F", "/": "Q", "Q": "Q"}


def test_annotation_symbols_first_symbol_or_override():
    names = ["N", "S", "V", "F", "Q"]
    assert annotation_symbols(names, AAMI) == ["N", "A", "V", "F", "/"]
    assert annotation_symbols(names, AAMI, {"Q": "Q"}) == ["N", "A", "V", "F", "Q"]


def test_annotation_symbols_errors_name_the_task_in_plain_words():
    names = ["N", "S", "V", "F", "Q"]
    with pytest.raises(InputError, match="^annotation symbols of task aami: unknown class.* X;"):
        annotation_symbols(names, AAMI, {"X": "N"}, task="aami")
    with pytest.raises(InputError, match="'\\+' for class Q is not a MIT-BIH beat symbol"):
        annotation_symbols(names, AAMI, {"Q": "+"}, task="aami")
    with pytest.raises(InputError, match="task six: class PB has no MIT-BIH symbol"):
        annotation_symbols(["NOR", "PB"], {"N": "NOR"}, task="six")


def test_annotations_round_trip_through_rdann(tmp_path):
    samples = np.array([10, 300, 610, 900])
    path = write_annotations(tmp_path / "out" / "rec", samples, ["N", "V", "A", "/"], 250.0, "pred")
    assert path == tmp_path / "out" / "rec.pred"
    annotation = wfdb.rdann(str(tmp_path / "out" / "rec"), "pred")
    assert annotation.sample.tolist() == samples.tolist()
    assert annotation.symbol == ["N", "V", "A", "/"]
    assert annotation.fs == 250


def test_no_beats_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(InputError, match="record rec: no beats to write to .*rec.pred"):
        write_annotations(tmp_path / "rec", np.array([], dtype=np.int64), [], 360.0, "pred")
