"""ecgbeats.external and ecgbeats.standins: another database's annotations in MIT-BIH symbols."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
import yaml

from ecgbeats.artifacts import DATASET, RECORD_BEATS
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.external import ExternalRecordOptions, ScoredRecord, database_beats, external_tables
from ecgbeats.inference import record_beats
from ecgbeats.records import read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.stages.external_training import build_external_dataset, preprocess_external_record
from ecgbeats.stages.preprocess import preprocess_record
from ecgbeats.standins import write_standin
from synthetic_ecg import write_record

SYMBOLS = ["N", "N", "A", "V", "N", "L"] * 8


@pytest.mark.parametrize("fs", [128.0, 250.0])
def test_a_standin_scored_with_the_inverse_map_has_mitbih_beats(tmp_path: Path, fs: float):
    write_record(tmp_path, "300", SYMBOLS)
    original = read_recording(tmp_path / "300", ["MLII"], target_fs=TARGET_FS)
    samples, symbols = read_annotations_of(original, tmp_path / "300")
    path = write_standin(
        tmp_path / "300", tmp_path / "other", "s300", fs, {"MLII": "ECG1"}, {"A": "S"}
    )
    header = wfdb.rdheader(str(path))
    assert header.fs == fs and header.sig_name == ["ECG1", "V1"]
    assert "S" in wfdb.rdann(str(path), "atr").symbol
    recording = read_recording(path, ["ECG1"], target_fs=TARGET_FS)
    found, mapped = database_beats(recording, path, "atr", {"S": "A"}, "standin")
    np.testing.assert_array_equal(mapped, symbols)
    # Rounded to the stand-in's rate and back: at most one sample at 360 Hz.
    assert np.abs(found - samples).max() <= 1


def test_an_unknown_symbol_names_the_database_the_record_and_the_symbol(tmp_path: Path):
    write_record(tmp_path, "301", ["N"] * 10, non_beat=False)
    labels = pd.DataFrame({"label_store": [42], "symbol": ["X"], "description": ["odd beat"]})
    wfdb.wrann(
        "301",
        "atr",
        np.array([100, 400, 700]),
        ["N", "X", "N"],
        custom_labels=labels,
        fs=360,
        write_dir=str(tmp_path),
    )
    recording = read_recording(tmp_path / "301", ["MLII"], target_fs=TARGET_FS)
    with pytest.raises(InputError, match=r"database odd, record 301: .*'X'"):
        database_beats(recording, tmp_path / "301", "atr", {}, "odd")
    # Mapped to a MIT-BIH beat symbol, it is a beat.
    _, symbols = database_beats(recording, tmp_path / "301", "atr", {"X": "V"}, "odd")
    assert symbols.tolist() == ["N", "V", "N"]


def test_missing_annotations_name_the_database(tmp_path: Path):
    write_record(tmp_path, "302", ["N"] * 10)
    recording = read_recording(tmp_path / "302", ["MLII"], target_fs=TARGET_FS)
    with pytest.raises(InputError, match="database db2, record 302: no annotation file"):
        database_beats(recording, tmp_path / "302", "qrs", {}, "db2")


def test_external_tables_keep_the_beats_of_the_task():
    probabilities = np.eye(3)[[0, 1, 2, 0, 0]].astype(np.float32)
    scored = ScoredRecord("a", "ECG1", 128.0, np.array(["N", "V", "Q", "A", "N"]), probabilities, 1)
    in_task, labels, scores, per_record = external_tables([scored], {"N": "N", "A": "S", "V": "V"})
    assert in_task.tolist() == [True, True, False, True, True]
    assert labels.tolist() == [0, 2, 1, 0]
    assert scores.argmax(axis=1).tolist() == [0, 1, 0, 0]
    row = per_record.iloc[0]
    assert row["beats_scored"] == 5 and row["beats_in_task"] == 4
    assert row["accuracy"] == pytest.approx(0.5)
    assert row["recall_N"] == 1.0 and row["recall_S"] == 0.0 and row["recall_V"] == 0.0


@pytest.mark.parametrize("fs", [128.0, 250.0])
def test_a_mitbih_standin_gives_the_beats_of_its_record(mitdb_dir: Path, tmp_path: Path, fs: float):
    """MIT-BIH record 100 as another database: the same annotated beats (one sample at most
    apart), and the same beats where the positions agree."""
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    options = {
        "denoising": DenoisingOptions(**config["denoise"]),
        "window": BeatOptions(**config["beats"]),
    }
    original = read_recording(mitdb_dir / "100", ["MLII"], target_fs=TARGET_FS)
    samples, symbols = read_annotations_of(original, mitdb_dir / "100")
    path = write_standin(mitdb_dir / "100", tmp_path, "x100", fs, {"MLII": "ECG1"}, {"A": "S"})
    recording = read_recording(path, ["ECG1"], target_fs=TARGET_FS)
    found, mapped = database_beats(recording, path, "atr", {"S": "A"}, "standin")
    # The stand-in ends at a whole period of the rate ratio: at most its last beat is gone.
    assert samples.size - found.size <= 1
    samples, symbols = samples[: found.size], symbols[: found.size]
    np.testing.assert_array_equal(mapped, symbols)
    assert np.abs(found - samples).max() <= 1
    theirs = record_beats(original, samples, **options)
    mine = record_beats(recording, found, **options)
    # z-scored beats: the mean of their product is their correlation.
    correlation = np.sum(theirs.beats * mine.beats, axis=1) / theirs.beats.shape[1]
    same = (found == samples)[theirs.kept]
    assert same.any() and np.percentile(correlation[same], 1) > 0.999
    assert np.percentile(correlation, 1) > 0.9  # one sample apart: the QRS moves by 2.8 ms


def test_a_standin_preprocessed_for_training_gives_the_beats_of_its_record(tmp_path: Path):
    """A database's record preprocessed for training: MIT-BIH symbols, the rhythm notes and the
    beats that preprocess_record makes of the record it stands in for."""
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    denoising, window = DenoisingOptions(**config["denoise"]), BeatOptions(**config["beats"])
    write_record(tmp_path, "300", SYMBOLS)  # with an atrial fibrillation episode
    preprocess_record(tmp_path / "300.hea", tmp_path / "mitbih.npz", ["MLII"], denoising, window)
    path = write_standin(
        tmp_path / "300", tmp_path / "other", "s300", 250.0, {"MLII": "ECG1"}, {"A": "S"}
    )
    options = ExternalRecordOptions(
        database="standin",
        leads=["ECG2", "ECG1"],
        annotation_extension="atr",
        symbol_map={"S": "A"},
    )
    kept = preprocess_external_record(
        path.with_suffix(".hea"),
        tmp_path / "standin.npz",
        options=options,
        denoising=denoising,
        window=window,
    )
    theirs, mine = (
        RECORD_BEATS.load(tmp_path / "mitbih.npz"),
        RECORD_BEATS.load(tmp_path / "standin.npz"),
    )
    assert kept == mine["beats"].shape[0] == theirs["beats"].shape[0]
    assert (str(mine["record"]), str(mine["lead"])) == ("s300", "ECG1")
    assert (float(mine["fs"]), float(mine["source_fs"])) == (TARGET_FS, 250.0)
    np.testing.assert_array_equal(mine["symbols"], theirs["symbols"])  # S mapped back to A
    assert "(AFIB" in set(mine["rhythms"].tolist())
    np.testing.assert_array_equal(mine["rhythms"], theirs["rhythms"])
    assert np.abs(mine["samples"] - theirs["samples"]).max() <= 1
    np.testing.assert_allclose(mine["rr_features"], theirs["rr_features"], atol=0.02)
    correlation = np.sum(mine["beats"] * theirs["beats"], axis=1) / mine["beats"].shape[1]
    assert np.percentile(correlation, 5) > 0.9


def test_an_external_dataset_may_lack_classes_but_not_all_of_them(tmp_path: Path):
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    denoising, window = DenoisingOptions(**config["denoise"]), BeatOptions(**config["beats"])
    write_record(tmp_path, "310", ["N", "N", "V"] * 10)
    beats = tmp_path / "310.npz"
    preprocess_record(tmp_path / "310.hea", beats, ["MLII"], denoising, window)
    class_map = {"N": "N", "A": "S", "V": "V", "F": "F"}
    summary = build_external_dataset(
        [beats], tmp_path / "aami.npz", tmp_path / "counts.tsv", "db", "aami", class_map
    )
    assert summary["S"] == summary["F"] == 0 < summary["V"] < summary["N"]
    assert DATASET.load(tmp_path / "aami.npz")["class_names"].tolist() == ["N", "S", "V", "F"]
    with pytest.raises(InputError, match=r"database db: none of its beats is of a class of task"):
        build_external_dataset(
            [beats], tmp_path / "x.npz", tmp_path / "x.tsv", "db", "sv", {"A": "S", "F": "F"}
        )
