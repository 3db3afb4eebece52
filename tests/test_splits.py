"""Intra- and inter-patient splits: disjoint parts, stratification, record separation, errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ecgbeats.errors import InputError
from ecgbeats.splits import (
    InterSplitOptions,
    IntraSplitOptions,
    class_count_table,
    inter_patient_split,
    intra_patient_split,
    split_records,
)

NAMES = ["N", "S", "V"]
# de Chazal, O'Dwyer and Reilly 2004, IEEE TBME 51(7): the standard inter-patient partition
# (config.yaml's split.inter lists the same records).
DS1_RECORDS: tuple[str, ...] = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip
DS2_RECORDS: tuple[str, ...] = (
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
    "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
)  # fmt: skip
PACED_RECORDS: tuple[str, ...] = ("102", "104", "107", "217")


def intra(
    seed: int = 0, test_fraction: float = 0.3, validation_fraction: float = 0.1
) -> IntraSplitOptions:
    return IntraSplitOptions(
        test_fraction=test_fraction, validation_fraction=validation_fraction, seed=seed
    )


def inter(
    seed: int = 0,
    validation_fraction: float = 0.1,
    train_records: tuple[str, ...] = DS1_RECORDS,
    test_records: tuple[str, ...] = DS2_RECORDS,
    excluded_records: tuple[str, ...] = PACED_RECORDS,
) -> InterSplitOptions:
    return InterSplitOptions(
        validation_fraction=validation_fraction,
        seed=seed,
        train_records=train_records,
        test_records=test_records,
        excluded_records=excluded_records,
    )


def assert_partition(split, n: int) -> None:
    parts = [split.train, split.validation, split.test]
    assert all(p.dtype == np.int64 for p in parts)
    joined = np.concatenate(parts)
    assert np.unique(joined).size == joined.size  # no beat in two parts
    assert joined.min() >= 0 and joined.max() < n


def test_intra_split_is_stratified_disjoint_and_seeded() -> None:
    labels = np.repeat([0, 1, 2], [700, 200, 100])
    split = intra_patient_split(labels, NAMES, intra(seed=3))
    assert_partition(split, labels.size)
    assert split.train.size + split.validation.size + split.test.size == labels.size
    table = class_count_table(labels, split, NAMES)
    np.testing.assert_array_equal(table["test"], [210, 60, 30])
    np.testing.assert_array_equal(table["validation"], [49, 14, 7])
    np.testing.assert_array_equal(table["total"], [700, 200, 100])
    again = intra_patient_split(labels, NAMES, intra(seed=3))
    other = intra_patient_split(labels, NAMES, intra(seed=4))
    np.testing.assert_array_equal(split.test, again.test)
    assert not np.array_equal(split.test, other.test)


def test_intra_split_names_a_class_too_small_or_absent() -> None:
    labels = np.repeat([0, 1, 2], [50, 2, 30])
    with pytest.raises(InputError, match=r"S \(2\)"):
        intra_patient_split(labels, NAMES, intra())
    with pytest.raises(InputError, match=r"V \(0\)"):
        intra_patient_split(np.repeat([0, 1], [50, 30]), NAMES, intra())


def synthetic_records(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels and record ids over DS1, DS2 and the paced records; S is in 8 DS1 records."""
    rng = np.random.default_rng(seed)
    labels, records = [], []
    for record in (*DS1_RECORDS, *DS2_RECORDS, *PACED_RECORDS):
        n = int(rng.integers(40, 80))
        y = np.where(rng.random(n) < 0.2, 2, 0)
        if record in (*DS1_RECORDS[:8], "100", "105"):
            y[:5] = 1
        labels.append(y)
        records.append(np.full(n, record))
    return np.concatenate(labels), np.concatenate(records)


def test_inter_split_keeps_patients_apart() -> None:
    labels, records = synthetic_records()
    split = inter_patient_split(labels, records, NAMES, inter(seed=1, validation_fraction=0.2))
    assert_partition(split, labels.size)
    parts = split_records(records, split)
    assert set(parts["test"]) == set(DS2_RECORDS)
    assert set(parts["train"]) | set(parts["validation"]) == set(DS1_RECORDS)
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert not set(parts[a]) & set(parts[b])
    assert not set(records[np.concatenate([split.train, split.validation, split.test])]) & set(
        PACED_RECORDS
    )
    # Every class stays in training; the validation records are chosen to hold S too.
    assert (class_count_table(labels, split, NAMES)["train"] > 0).all()
    assert split.missing_in_validation == ()
    share = split.validation.size / (split.train.size + split.validation.size)
    assert 0.1 < share < 0.35


def test_inter_split_reports_a_class_that_validation_cannot_have() -> None:
    labels, records = synthetic_records()
    labels[labels == 1] = 0
    labels[(records == "101")[:]] = np.where(np.arange((records == "101").sum()) < 5, 1, 0)
    labels[(records == "100")[:]] = np.where(np.arange((records == "100").sum()) < 5, 1, 0)
    split = inter_patient_split(labels, records, NAMES, inter(seed=2))
    assert split.missing_in_validation == ("S",)
    assert "101" in split_records(records, split)["train"]


def test_inter_split_names_classes_absent_from_the_records() -> None:
    labels, records = synthetic_records()
    labels[np.isin(records, DS2_RECORDS) & (labels == 1)] = 0
    with pytest.raises(InputError, match=r"S have no beats in the test part \(records 100"):
        inter_patient_split(labels, records, NAMES, inter())
    labels, records = synthetic_records()
    with pytest.raises(InputError, match="100 are both training and test records"):
        inter_patient_split(labels, records, NAMES, inter(train_records=("101", "100")))


@pytest.mark.mitdb
def test_inter_split_on_mitdb_annotations(mitdb_dir) -> None:  # noqa: ANN001 - Path fixture
    """de Chazal's split of real AAMI labels: every class trains and tests, no shared patient."""
    import wfdb

    aami = {"N": 0, "L": 0, "R": 0, "e": 0, "j": 0, "A": 1, "a": 1, "J": 1, "S": 1}
    aami |= {"V": 2, "E": 2, "F": 3, "/": 4, "f": 4, "Q": 4}
    names = ["N", "S", "V", "F", "Q"]
    labels, records = [], []
    for record in (*DS1_RECORDS, *DS2_RECORDS, *PACED_RECORDS):
        symbols = wfdb.rdann(str(mitdb_dir / record), "atr").symbol
        kept = [aami[s] for s in symbols if s in aami]
        labels += kept
        records += [record] * len(kept)
    labels, records = np.array(labels), np.array(records)
    split = inter_patient_split(labels, records, names, inter(seed=42))
    parts = split_records(records, split)
    assert set(parts["test"]) == set(DS2_RECORDS)
    assert not set(parts["validation"]) & set(parts["train"])
    table = class_count_table(labels, split, names)
    assert (table["train"] > 0).all() and (table["test"] > 0).all()
    # The paced records are out: Q keeps only the few unclassifiable beats.
    assert table["total"][4] < 20
    assert set(split.missing_in_validation) <= {"F", "Q"}


def test_inter_split_excludes_classes_only_in_left_out_records():
    """Paced beats live only in paced records: in `ten` they go with those records."""
    names = ["NOR", "PB", "PVC"]
    records = np.array(["101"] * 4 + ["106"] * 4 + ["102"] * 4 + ["100"] * 4 + ["103"] * 4)
    labels = np.array([0, 0, 2, 2] * 2 + [1, 1, 0, 0] + [0, 2, 0, 2] * 2)
    options = InterSplitOptions(
        train_records=["101", "106"],
        test_records=["100", "103"],
        excluded_records=["102"],
        validation_fraction=0.4,
        seed=0,
    )
    split = inter_patient_split(labels, records, names, options)
    assert split.excluded_classes == ("PB",)
    assert "PB" not in split.missing_in_validation
    used = np.concatenate([split.train, split.validation, split.test])
    assert not np.isin(records[used], ["102"]).any()
    # a class present in the used records but absent from the test records is still an error
    with pytest.raises(InputError, match="PVC"):
        inter_patient_split(
            np.where(np.isin(records, ["100", "103"]), 0, labels), records, names, options
        )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: intra(test_fraction=1.0), "test fraction of the intra-patient split"),
        (lambda: intra(validation_fraction=0), "validation fraction of the intra-patient split"),
        (lambda: inter(validation_fraction=-0.1), "validation fraction of the inter-patient"),
    ],
)
def test_fractions_outside_zero_one_are_named(make: Callable[[], object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        make()


def test_inter_split_needs_training_and_test_records_in_the_dataset() -> None:
    labels, records = synthetic_records()
    with pytest.raises(InputError, match="at least 2 of its training records"):
        inter_patient_split(labels, records, NAMES, inter(train_records=("101", "999")))
    with pytest.raises(InputError, match="none of the inter-patient split's test records"):
        inter_patient_split(labels, records, NAMES, inter(test_records=("999",)))
