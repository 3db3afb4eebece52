"""Classifying a new recording (stage classify_record): beat table, `pred` annotations, strip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import wfdb

from ecgbeats.artifacts import save_checkpoint
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, CNNConfig
from ecgbeats.rpeaks import DetectorOptions
from ecgbeats.stages.classify import ClassifyOptions, classify_record
from synthetic_ecg import write_record

SIX = {"N": "NOR", "/": "PB", "L": "LBBB", "R": "RBBB", "A": "PAC", "V": "PVC"}
NAMES = list(dict.fromkeys(SIX.values()))
# The workflow's defaults (config.yaml: leads, denoise, beats, classify).
SETTINGS = dict(
    leads=["MLII", "V5"],
    denoising=DenoisingOptions(
        wavelet="db5", level=9, remove_approximation=True, remove_details=(1, 2), threshold="none"
    ),
    window=BeatOptions(before=150, after=150, normalisation="zscore"),
    detector=DetectorOptions(search_radius_s=0.1, smooth_window_s=0.4, method="xqrs"),
)
CLASSIFY = dict(
    task="six",
    split="intra",
    class_map=SIX,
    annotation_symbols={},
    beats_from="auto",
    annotation_extension="atr",
    strip_start_s=0.0,
    strip_seconds=10.0,
)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.pt"
    torch.manual_seed(0)
    config = CNNConfig(
        n_classes=len(NAMES),
        input_length=300,
        channels=(4, 4, 8, 8, 8, 8),
        hidden=(16, 8, 8),
        kernel_size=3,
        dropout=0.0,
        rr_features=(),
        rr_hidden=4,
        beat_reference="none",
        leads=1,
    )
    save_checkpoint(path, BeatCNN(config), NAMES)
    return path


def _classify(tmp_path, model_path, record, out, **options):
    outputs = dict(
        table=tmp_path / out / f"{out}_beats.csv",
        annotations=tmp_path / out / f"{out}.pred",
        strip=tmp_path / out / f"{out}_strip.png",
    )
    outputs["table"].parent.mkdir(parents=True, exist_ok=True)
    classify_record(
        f"{tmp_path / record}.hea",
        model_path,
        ClassifyOptions(**{**CLASSIFY, **options}),
        **SETTINGS,
        **outputs,
    )
    return outputs


@pytest.mark.parametrize("beats_from", ["auto", "detector"])
def test_a_250_hz_record_gives_a_table_annotations_and_a_strip(tmp_path, model_path, beats_from):
    peaks = write_record(tmp_path, "new250", ["N", "N", "A"] * 15, fs=250)
    outputs = _classify(tmp_path, model_path, "new250", "out", beats_from=beats_from)

    table = pd.read_csv(outputs["table"])
    assert list(table.columns) == ["sample", "time_s", "class", "symbol"] + [
        f"p_{n}" for n in NAMES
    ]
    annotation = wfdb.rdann(str(tmp_path / "out" / "out"), "pred")
    assert annotation.fs == 250
    assert annotation.sample.tolist() == table["sample"].tolist()
    assert annotation.symbol == table["symbol"].tolist()
    assert [SIX[s] for s in annotation.symbol] == table["class"].tolist()
    np.testing.assert_allclose(table["time_s"], table["sample"] / 250.0)
    p = table[[f"p_{n}" for n in NAMES]].to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert (table["class"] == np.asarray(NAMES)[p.argmax(axis=1)]).all()
    # Positions are at the record's own rate and lie on (or next to) its true R peaks.
    distance = np.min(np.abs(table["sample"].to_numpy()[:, None] - peaks[None, :]), axis=1)
    if beats_from == "auto":
        # The record's own beats (the first is dropped: its window leaves the record).
        assert table["sample"].tolist() == peaks[1:].tolist()
    assert distance.max() <= 3
    assert len(table) >= len(peaks) - 2
    assert outputs["strip"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_record_without_annotations_uses_the_detector_and_a_late_strip_shows_the_start(
    tmp_path, model_path, caplog
):
    write_record(tmp_path, "plain", ["N"] * 20)
    (tmp_path / "plain.atr").unlink()
    with caplog.at_level("INFO"):
        outputs = _classify(tmp_path, model_path, "plain", "plain", strip_start_s=500.0)
    assert "strip window starts after its end; showing the start" in caplog.text
    assert "beats from the detector" in caplog.text
    assert len(pd.read_csv(outputs["table"])) >= 17
    assert outputs["strip"].stat().st_size > 0


def test_a_model_of_other_classes_is_refused_naming_record_and_task(tmp_path, model_path):
    write_record(tmp_path, "rec", ["N"] * 20)
    with pytest.raises(InputError, match="record rec: model for task six: .*class names"):
        classify_record(
            f"{tmp_path / 'rec'}.hea",
            model_path,
            ClassifyOptions(**{**CLASSIFY, "class_map": {"N": "N", "V": "V"}}),
            **SETTINGS,
            table=tmp_path / "t.csv",
            annotations=tmp_path / "t.pred",
            strip=tmp_path / "t.png",
        )


def test_options_refuse_an_unknown_beat_source():
    with pytest.raises(InputError, match="beats from 'model': auto or detector"):
        ClassifyOptions(**{**CLASSIFY, "beats_from": "model"})
