"""Classifying a new recording end to end in the package: beats, model, CSV, `pred` annotations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import wfdb

from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection import annotation_symbols, prediction_table, record_beats, write_annotations
from ecgbeats.model import BeatCNN, CNNConfig, load_checkpoint, predict_proba, save_checkpoint
from ecgbeats.records import read_beat_annotations, read_recording
from ecgbeats.resampling import TARGET_FS
from synthetic_ecg import write_record

SIX = {"N": "NOR", "/": "PB", "L": "LBBB", "R": "RBBB", "A": "PAC", "V": "PVC"}


def _fresh_model(path, names):
    torch.manual_seed(0)
    save_checkpoint(path, BeatCNN(CNNConfig(n_classes=len(names))), names)
    return load_checkpoint(path, names)


def test_prediction_on_a_250_hz_record_round_trips_through_rdann(tmp_path):
    peaks = write_record(tmp_path, "new250", ["N", "N", "A"] * 15, fs=250)
    recording = read_recording(tmp_path / "new250", ["MLII"], target_fs=TARGET_FS)
    converted, _ = read_beat_annotations(
        tmp_path / "new250",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    names = list(dict.fromkeys(SIX.values()))
    model, class_names = _fresh_model(tmp_path / "model.pt", names)
    for peaks_given in (converted, None):
        beats = record_beats(
            recording,
            peaks_given,
            denoising=DenoisingOptions(),
            before=150,
            after=150,
            normalisation="zscore",
        )
        probabilities = predict_proba(model, beats.beats)
        symbols = annotation_symbols(class_names, SIX)
        table = prediction_table(
            beats.samples, recording.source_fs, probabilities, class_names, symbols
        )
        csv = tmp_path / f"{beats.source}.csv"
        table.to_csv(csv, index=False)
        write_annotations(
            tmp_path / "out" / "new250", table["sample"], table["symbol"], 250, "pred"
        )

        back = pd.read_csv(csv)
        annotation = wfdb.rdann(str(tmp_path / "out" / "new250"), "pred")
        assert annotation.sample.tolist() == back["sample"].tolist()
        assert annotation.symbol == back["symbol"].tolist()
        assert [SIX[s] for s in annotation.symbol] == back["class"].tolist()
        np.testing.assert_allclose(back["time_s"], back["sample"] / 250.0)
        p = back[[f"p_{n}" for n in class_names]].to_numpy()
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
        assert (back["class"] == np.asarray(class_names)[p.argmax(axis=1)]).all()
        # Positions are at the record's own rate and lie on (or next to) its true R peaks.
        distance = np.min(np.abs(back["sample"].to_numpy()[:, None] - peaks[None, :]), axis=1)
        assert distance.max() <= 3
        assert len(back) >= len(peaks) - 2
