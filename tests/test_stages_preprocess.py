"""ecgbeats.stages.preprocess and preprocess_figures: rules preprocess_record, summarise_beats
and plot_denoising on synthetic WFDB records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecgbeats.artifacts import RECORD_BEATS
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.stages.datasets import summarise_beats
from ecgbeats.stages.preprocess import preprocess_record
from ecgbeats.stages.preprocess_figures import plot_denoising
from synthetic_ecg import write_record

# config.yaml's sections (the paper's settings).
LEADS = ["MLII", "V5"]
DENOISING = DenoisingOptions(
    wavelet="db5", level=9, remove_approximation=True, remove_details=(1, 2), threshold="none"
)
WINDOW = BeatOptions(before=150, after=150, normalisation="zscore")
SYMBOLS = ["V"] + ["N", "N", "A", "N", "V"] * 6  # 31 beats, 25 s: enough for 9 levels


@pytest.fixture()
def records(tmp_path: Path) -> Path:
    """Records 800 (MLII first) and 801 (V5 only, another beat mix) in `tmp_path`/data."""
    write_record(tmp_path / "data", "800", SYMBOLS, seed=1)
    write_record(tmp_path / "data", "801", SYMBOLS[::-1], leads=("V5", "V1"), seed=2)
    return tmp_path / "data"


def test_preprocess_record_writes_the_record_beats(records: Path, tmp_path: Path) -> None:
    kept = preprocess_record(
        records / "800.hea", tmp_path / "beats" / "800.npz", LEADS, DENOISING, WINDOW
    )
    beats = RECORD_BEATS.load(tmp_path / "beats" / "800.npz")
    # The first beat sits 0.25 s (90 samples) into the record: its window leaves the record.
    assert kept == len(SYMBOLS) - 1 == beats["beats"].shape[0]
    assert beats["beats"].shape[1] == 300 and beats["beats"].dtype == np.float32
    assert beats["symbols"].tolist() == SYMBOLS[1:]
    assert beats["dropped_symbols"].tolist() == ["V"] and int(beats["edge_drops"]) == 1
    assert str(beats["record"]) == "800" and str(beats["lead"]) == "MLII"
    assert float(beats["fs"]) == float(beats["source_fs"]) == 360.0
    # The dropped first beat still gives the first kept beat its true previous interval.
    previous = beats["rr_features"][:, RR_FEATURES.index("previous")]
    assert previous[0] == pytest.approx((beats["samples"][0] - 90) / 360.0, abs=1e-6)
    np.testing.assert_allclose(beats["beats"].mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(beats["beats"].std(axis=1), 1, rtol=1e-4)


def test_preprocess_record_takes_the_first_preferred_lead(records: Path, tmp_path: Path) -> None:
    preprocess_record(records / "801.hea", tmp_path / "801.npz", LEADS, DENOISING, WINDOW)
    assert str(RECORD_BEATS.load(tmp_path / "801.npz")["lead"]) == "V5"
    with pytest.raises(InputError, match=r"record 801: none of the preferred leads \['MLII'\]"):
        preprocess_record(records / "801.hea", tmp_path / "x.npz", ["MLII"], DENOISING, WINDOW)
    assert not (tmp_path / "x.npz").exists()


def test_summarise_beats_counts_kept_and_dropped_symbols(records: Path, tmp_path: Path) -> None:
    paths = []
    for record in ("800", "801"):
        paths.append(tmp_path / f"{record}.npz")
        preprocess_record(records / f"{record}.hea", paths[-1], LEADS, DENOISING, WINDOW)
    table_path = tmp_path / "datasets" / "beats_per_record.tsv"
    summarise_beats(paths, table_path)
    table = pd.read_csv(table_path, sep="\t", dtype={"record": str})
    assert table.columns.tolist() == [
        "record",
        "lead",
        "beats",
        "edge_drops",
        "dropped A",
        "dropped N",
        "dropped V",
        "kept A",
        "kept N",
        "kept V",
    ]
    first, second = table.to_dict("records")
    assert (first["record"], first["lead"], first["beats"], first["edge_drops"]) == (
        "800",
        "MLII",
        30,
        1,
    )
    assert (first["kept N"], first["kept A"], first["kept V"], first["dropped V"]) == (18, 6, 6, 1)
    # Record 801 starts with the reversed sequence: its first beat (V) is dropped too.
    assert (second["lead"], second["dropped V"], second["dropped N"]) == ("V5", 1, 0)


def test_plot_denoising_writes_a_png(records: Path, tmp_path: Path) -> None:
    figure = tmp_path / "figures" / "denoising_800.png"
    plot_denoising(records / "800.hea", figure, LEADS, DENOISING, start_s=1, seconds=5)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
