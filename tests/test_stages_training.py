"""ecgbeats.stages.training: rules split_dataset and train_model on a tiny dataset."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_training import SMALL

import ecgbeats.stages.training
from ecgbeats.artifacts import DATASET, SPLIT
from ecgbeats.balancing import BalanceOptions
from ecgbeats.errors import InputError
from ecgbeats.model import CNNConfig, dataset_inputs, load_model, predict_proba
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.splits import InterSplitOptions, IntraSplitOptions
from ecgbeats.stages.splitting import split_dataset
from ecgbeats.stages.training import TrainingPart, _extra_training_part, train_model
from ecgbeats.training import TrainConfig

NAMES = ["NOR", "PVC", "PAC"]
RECORDS = ("101", "106", "108", "100", "103", "102")
INTRA = IntraSplitOptions(test_fraction=0.3, validation_fraction=0.1, seed=42)
INTER = InterSplitOptions(
    validation_fraction=0.3,
    seed=42,
    train_records=("101", "106", "108"),
    test_records=("100", "103"),
    excluded_records=("102",),
)
SMOTE = BalanceOptions(method="smote", sampling_strategy="auto", k_neighbors=5, seed=42)
# The narrow CNN of the training tests (config.yaml's model section has the same keys).
SMALL_CNN = SMALL
TWO_EPOCHS = TrainConfig(
    epochs=2,
    batch_size=64,
    learning_rate=5e-4,
    lr_step_epochs=3,
    lr_gamma=0.9,
    weight_decay=0.0,
    seed=42,
    device="cpu",
    bn_calibration_beats=256,
    loss="cross_entropy",
    focal_gamma=2.0,
    precision="float32",
)


def train_stage(
    dataset: Path,
    split_path: Path,
    model_path: Path,
    network: dict = SMALL_CNN,
    decision: dict | None = None,
) -> int:
    """The train_model stage with SMOTE and two epochs; the history is written beside the
    model (same name, .tsv)."""
    return train_model(
        dataset,
        split_path,
        model_path,
        model_path.with_suffix(".tsv"),
        SMOTE,
        network,
        TWO_EPOCHS,
        decision,
    )


def write_dataset(path: Path, n: int = 240, seed: int = 0) -> Path:
    """Three classes of noisy sinusoids (learnable in a few epochs; PAC the rare one), their
    beats spread over six records."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[0.6, 0.3, 0.1]).astype(np.int64)
    t = np.linspace(0, 1, 300)
    beats = np.sin(2 * np.pi * (labels[:, None] + 1) * t) + rng.normal(0, 0.5, (n, 300))
    records = np.array(RECORDS)[np.arange(n) % len(RECORDS)]
    DATASET.save(
        path,
        class_names=np.array(NAMES),
        record_ids=np.array(RECORDS),
        median_beats=np.zeros((len(RECORDS), 300), dtype=np.float32),
        beats=beats.astype(np.float32),
        labels=labels,
        records=records,
        symbols=np.array(["N", "V", "A"])[labels],
        samples=np.arange(n, dtype=np.int64) * 300,
        rr_features=np.full((n, len(RR_FEATURES)), 1.0, dtype=np.float32),
        rhythms=np.full(n, "(N"),
    )
    return path


def test_intra_split_writes_indices_and_counts(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "six.npz")
    split_path, counts = tmp_path / "intra" / "split.npz", tmp_path / "intra" / "counts.tsv"
    split = split_dataset(dataset, split_path, counts, INTRA)
    saved = SPLIT.load(split_path)
    for part in ("train", "validation", "test"):
        np.testing.assert_array_equal(saved[part], getattr(split, part))
    assert saved["class_names"].tolist() == NAMES
    assert saved["missing_in_validation"].size == saved["excluded_classes"].size == 0
    lines = counts.read_text().splitlines()
    assert lines[0] == "class\ttrain\tvalidation\ttest\ttotal"
    assert [line.split("\t")[0] for line in lines[1:]] == [*NAMES, "all"]
    table = pd.read_csv(counts, sep="\t", index_col="class")
    assert table.loc["all", "total"] == 240
    assert table.loc["all", "test"] == pytest.approx(0.3 * 240, abs=2)
    assert (table[["train", "validation", "test"]].sum(axis=1) == table["total"]).all()


def test_inter_split_keeps_records_apart(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dataset = write_dataset(tmp_path / "six.npz")
    with caplog.at_level(logging.INFO, logger="ecgbeats.stages.splitting"):
        split = split_dataset(dataset, tmp_path / "split.npz", tmp_path / "counts.tsv", INTER)
    records = DATASET.load(dataset)["records"]
    assert set(records[split.test]) == {"100", "103"}
    assert set(records[split.train]) | set(records[split.validation]) == {"101", "106", "108"}
    assert not set(records[split.train]) & set(records[split.validation])
    assert "records not used by the inter-patient split: 102" in caplog.text
    assert "test records: 100, 103" in caplog.text


def test_train_model_writes_model_and_history(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dataset = write_dataset(tmp_path / "six.npz")
    split_path = tmp_path / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTRA)
    model_path = tmp_path / "model.pt"
    history = model_path.with_suffix(".tsv")
    with caplog.at_level(logging.INFO):
        best = train_stage(dataset, split_path, model_path)
    assert best in (1, 2)
    model, names = load_model(model_path, expected_class_names=NAMES)
    assert names == NAMES
    assert pd.read_csv(history, sep="\t")["epoch"].tolist() == [1, 2]
    assert "balancing (smote): NOR " in caplog.text and "epoch 2/2" in caplog.text
    test = SPLIT.load(split_path)["test"]
    beats = DATASET.load(dataset)["beats"]
    assert predict_proba(model, beats[test]).shape == (test.size, 3)
    assert model.prematurity is None  # no decision asked for: the CNN decides alone


def write_timed_dataset(path: Path, n: int = 240) -> Path:
    """write_dataset's beats with RR features of a known rhythm: PAC beats come early (previous
    0.5 s) and are followed by a pause (next 1.1 s) in a rhythm of 0.8 s; the others are on
    time."""
    write_dataset(path, n=n)
    data = dict(DATASET.load(path))
    rng = np.random.default_rng(1)
    n = data["labels"].size
    premature = data["labels"] == NAMES.index("PAC")
    rr = np.full((n, len(RR_FEATURES)), 0.8)
    column = {name: i for i, name in enumerate(RR_FEATURES)}
    rr[:, column["previous"]] = np.where(premature, 0.5, 0.8) + rng.normal(0, 0.03, n)
    rr[:, column["next"]] = np.where(premature, 1.1, 0.8) + rng.normal(0, 0.03, n)
    # Every fifth beat lies in atrial fibrillation, where the rhythm is irregular.
    fibrillation = np.arange(n) % 5 == 0
    rr[:, column["irregularity"]] = np.where(fibrillation, 0.3, 0.02)
    rr[:, column["p_wave_regularity"]] = np.where(fibrillation, 0.1, 0.9)  # no P waves in AF
    data["rhythms"] = np.where(fibrillation, "(AFIB", "(N")
    data["rr_features"] = rr.astype(np.float32)
    DATASET.save(path, **data)
    return path


def test_train_model_fits_and_stores_the_premature_beat_decision(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dataset = write_timed_dataset(tmp_path / "six.npz")
    split_path = tmp_path / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTRA)
    network = {**SMALL_CNN, "rr_features": ["previous", "next", "local", "record"]}
    decision = {"normal": "NOR", "premature": "PAC", "fibrillation": []}
    with caplog.at_level(logging.INFO):
        train_stage(dataset, split_path, tmp_path / "model.pt", network, decision)
    assert "premature-beat decision (PAC vs NOR): intercept" in caplog.text
    assert "no fibrillation gate" in caplog.text
    model, _ = load_model(tmp_path / "model.pt", expected_class_names=NAMES)
    assert model.prematurity is not None
    assert (model.prematurity.normal, model.prematurity.premature) == (0, 2)
    # An early beat followed by a pause: previous / local below 1 raises the premature odds.
    assert model.prematurity.coefficients[0] < 0
    data, split = DATASET.load(dataset), SPLIT.load(split_path)
    inputs = dataset_inputs(model.config, data, split["test"])
    alone = torch.softmax(model(torch.from_numpy(inputs)), dim=1).detach().numpy()
    decided = predict_proba(model, inputs, rr_features=data["rr_features"][split["test"]])
    np.testing.assert_allclose(decided[:, 1], alone[:, 1], rtol=1e-5)  # PVC untouched
    np.testing.assert_allclose(decided[:, [0, 2]].sum(1), alone[:, [0, 2]].sum(1), rtol=1e-5)
    # The rhythm alone separates PAC from NOR here, so every conducted test beat is told right.
    conducted = np.isin(data["labels"][split["test"]], [0, 2])
    truth = data["labels"][split["test"]][conducted]
    chosen = np.where(decided[conducted, 2] > decided[conducted, 0], 2, 0)
    np.testing.assert_array_equal(chosen, truth)


def test_train_model_refuses_a_decision_on_unknown_classes(tmp_path: Path) -> None:
    dataset = write_timed_dataset(tmp_path / "six.npz")
    split_path = tmp_path / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTRA)
    network = {**SMALL_CNN, "rr_features": ["previous", "next", "local", "record"]}
    with pytest.raises(InputError, match=r"class\(es\) S not among the dataset's classes"):
        train_stage(
            dataset,
            split_path,
            tmp_path / "m.pt",
            network,
            {"normal": "NOR", "premature": "S", "fibrillation": []},
        )
    assert not (tmp_path / "m.pt").exists()


def test_train_model_refuses_a_split_of_another_dataset(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "six.npz")
    split_path = tmp_path / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTRA)
    smaller = write_dataset(tmp_path / "smaller.npz", n=60)
    with pytest.raises(InputError, match=r"split\.npz: indexes outside the 60 rows of .*smaller"):
        train_stage(smaller, split_path, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_train_model_fits_the_fibrillation_gate_on_the_training_rhythms(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dataset = write_timed_dataset(tmp_path / "six.npz")
    split_path = tmp_path / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTRA)
    network = {**SMALL_CNN, "rr_features": ["previous", "next", "local", "record"]}
    decision = {
        "normal": "NOR",
        "premature": "PAC",
        "fibrillation": ["(AFIB", "(AFL"],
        "fibrillation_inputs": ["irregularity", "p_wave_regularity"],
    }
    with caplog.at_level(logging.INFO):
        train_stage(dataset, split_path, tmp_path / "model.pt", network, decision)
    assert "fibrillation gate: intercept" in caplog.text
    assert "coefficients irregularity " in caplog.text and ", p_wave_regularity " in caplog.text
    model, _ = load_model(tmp_path / "model.pt", expected_class_names=NAMES)
    gate = model.prematurity.fibrillation
    assert gate is not None and gate.inputs == ("irregularity", "p_wave_regularity")
    # Irregular rhythm and unlike P waves both speak for fibrillation.
    assert gate.coefficients[0] > 0 > gate.coefficients[1]
    data, split = DATASET.load(dataset), SPLIT.load(split_path)
    test = split["test"]
    decided = predict_proba(
        model, dataset_inputs(model.config, data, test), rr_features=data["rr_features"][test]
    )
    # PAC beats in fibrillation are called NOR: an early beat there is not premature.
    in_fibrillation = data["rhythms"][test] == "(AFIB"
    assert (decided[in_fibrillation, 2] < decided[in_fibrillation, 0]).all()


def test_train_model_learns_from_the_beats_of_other_databases_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = write_timed_dataset(tmp_path / "aami.npz")
    split_path = tmp_path / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTER)
    extra = write_dataset(tmp_path / "other" / "aami.npz", n=90, seed=3)
    seen = {}
    real_fit = ecgbeats.stages.training.fit
    real_decision = ecgbeats.stages.training.fit_prematurity

    def spy(beats, labels, validation_beats, validation_labels, *args, **kwargs):
        seen["train"], seen["validation"] = labels.size, validation_labels.size
        return real_fit(beats, labels, validation_beats, validation_labels, *args, **kwargs)

    def decision_spy(rr_features, names, labels, normal, premature, in_fibrillation, inputs):
        seen["decision"] = (rr_features.shape[0], labels.size, in_fibrillation.size)
        return real_decision(rr_features, names, labels, normal, premature, in_fibrillation, inputs)

    monkeypatch.setattr(ecgbeats.stages.training, "fit", spy)
    monkeypatch.setattr(ecgbeats.stages.training, "fit_prematurity", decision_spy)
    network = {**SMALL_CNN, "rr_features": ["previous", "next", "local", "record"]}
    decision = {"normal": "NOR", "premature": "PAC", "fibrillation": ["(AFIB"]}
    no_balancing = BalanceOptions(method="none", sampling_strategy="auto", k_neighbors=5, seed=42)
    arguments = (network, TWO_EPOCHS, decision)
    with caplog.at_level(logging.INFO):
        train_model(
            dataset,
            split_path,
            tmp_path / "m.pt",
            tmp_path / "h.tsv",
            no_balancing,
            *arguments,
            extra_datasets=[extra],
        )
    data, split = DATASET.load(dataset), SPLIT.load(split_path)
    labels, extra_labels = data["labels"], DATASET.load(extra)["labels"]
    # Every beat of the other database joins the training part, of the network and of the
    # decision with its gate; validation stays MIT-BIH's.
    joined_size = split["train"].size + 90
    assert seen == {
        "train": joined_size,
        "validation": split["validation"].size,
        "decision": (joined_size, joined_size, joined_size),
    }
    assert f"training beats from {extra}: 90 of 6 record(s); NOR " in caplog.text
    assert "; rhythm notes: (N 90" in caplog.text
    joined = np.bincount(labels[split["train"]], minlength=3) + np.bincount(
        extra_labels, minlength=3
    )
    counts = ", ".join(f"{n} {c}->{c}" for n, c in zip(NAMES, joined, strict=True))
    assert f"balancing (none): {counts}" in caplog.text
    assert load_model(tmp_path / "m.pt")[0].prematurity.fibrillation is not None
    # Another task's classes, or beats of another window, are refused by the file's name.
    other = dict(DATASET.load(extra))
    DATASET.save(tmp_path / "classes.npz", **{**other, "class_names": np.array(["N", "V", "S"])})
    DATASET.save(tmp_path / "window.npz", **{**other, "beats": other["beats"][:, :200]})
    for path, message in (
        (tmp_path / "classes.npz", r"classes.npz: classes \['N', 'V', 'S'\] differ"),
        (
            tmp_path / "window.npz",
            r"window.npz: beats of 200 samples, the MIT-BIH dataset's have 300",
        ),
    ):
        with pytest.raises(InputError, match=message):
            train_model(
                dataset,
                split_path,
                tmp_path / "x.pt",
                tmp_path / "x.tsv",
                no_balancing,
                *arguments,
                extra_datasets=[path],
            )
        assert not (tmp_path / "x.pt").exists()


def test_another_databases_training_beats_keep_their_own_median_beats_and_the_splits_classes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The record-median reference of another database's beats is its own records' median
    beat, even where its record names are MIT-BIH's; classes the split leaves out stay out."""
    extra_path = write_dataset(tmp_path / "other.npz", n=60, seed=5)
    extra = dict(DATASET.load(extra_path))
    # Same record names as write_dataset's MIT-BIH stand-in, other median beats.
    extra["median_beats"] = np.arange(len(RECORDS), dtype=np.float32)[:, None] * np.ones(300)
    DATASET.save(extra_path, **extra)
    network = {**SMALL_CNN, "beat_reference": "record_median"}
    config = CNNConfig(n_classes=3, input_length=300, leads=1, **network)
    with caplog.at_level(logging.INFO):
        part = _extra_training_part(config, extra_path, NAMES, ("PAC",))
    kept = extra["labels"] != NAMES.index("PAC")
    record = np.asarray([RECORDS.index(r) for r in extra["records"][kept]], dtype=np.float32)
    np.testing.assert_allclose(part.inputs, extra["beats"][kept] - record[:, None], rtol=1e-6)
    np.testing.assert_array_equal(part.labels, extra["labels"][kept])
    assert f"({int((~kept).sum())} of PAC, left out by the split, dropped)" in caplog.text
    # Joined after the MIT-BIH beats, field by field.
    mitbih = TrainingPart.of(
        config, DATASET.load(write_dataset(tmp_path / "m.npz", n=30)), np.arange(30)
    )
    joined = mitbih.joined(part)
    assert joined.inputs.shape == (30 + kept.sum(), 300)
    np.testing.assert_array_equal(joined.labels[30:], part.labels)
    np.testing.assert_array_equal(joined.rhythms[:30], mitbih.rhythms)
