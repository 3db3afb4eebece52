"""ecgbeats.stages.datasets and datasets_figures: rules build_dataset and
plot_class_distribution on small per-record beats files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecgbeats.artifacts import DATASET, RECORD_BEATS
from ecgbeats.errors import InputError
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.stages.datasets import build_dataset
from ecgbeats.stages.datasets_figures import plot_class_distribution

CLASS_MAP = {"N": "NOR", "L": "NOR", "V": "PVC", "A": "PAC"}


def beats_file(path: Path, record: str, symbols: list[str], dropped: tuple[str, ...] = ()) -> Path:
    """A per-record beats file whose beat i is filled with the value i (to follow rows)."""
    n = len(symbols)
    RECORD_BEATS.save(
        path,
        beats=np.repeat(np.arange(n, dtype=np.float32)[:, None], 4, axis=1),
        symbols=np.array(symbols),
        samples=np.arange(n, dtype=np.int64) * 360 + 200,
        rr_features=np.full((n, len(RR_FEATURES)), 1.0, dtype=np.float32),
        rhythms=np.full(n, "(N"),
        median_beat=np.zeros(300, dtype=np.float32),
        record=record,
        lead="MLII",
        fs=360.0,
        source_fs=360.0,
        edge_drops=len(dropped),
        dropped_symbols=np.array(list(dropped), dtype=str),
    )
    return path


@pytest.fixture()
def record_files(tmp_path: Path) -> list[Path]:
    return [
        beats_file(tmp_path / "100.npz", "100", ["N", "V", "+", "N", "A"], dropped=("N",)),
        beats_file(tmp_path / "200.npz", "200", ["L", "Q", "V", "N"]),
    ]


def test_build_dataset_labels_the_task_symbols(record_files: list[Path], tmp_path: Path) -> None:
    dataset, counts = tmp_path / "datasets" / "six.npz", tmp_path / "datasets" / "six_counts.tsv"
    per_class = build_dataset(record_files, dataset, counts, "six", CLASS_MAP)
    assert per_class == {"NOR": 4, "PVC": 2, "PAC": 1}
    data = DATASET.load(dataset)
    assert data["class_names"].tolist() == ["NOR", "PVC", "PAC"]
    # Symbols outside the map (+, Q) are left out; rows keep the records' order.
    assert data["symbols"].tolist() == ["N", "V", "N", "A", "L", "V", "N"]
    assert data["labels"].tolist() == [0, 1, 0, 2, 0, 1, 0]
    assert data["records"].tolist() == ["100"] * 4 + ["200"] * 3
    assert data["beats"][:, 0].tolist() == [0, 1, 3, 4, 0, 2, 3]
    assert data["samples"].tolist() == [200, 560, 1280, 1640, 200, 920, 1280]
    assert counts.read_text() == (
        "class\tsymbols\tbeats\tshare\nNOR\tN,L\t4\t0.5714\nPVC\tV\t2\t0.2857\nPAC\tA\t1\t0.1429\n"
    )


def test_build_dataset_names_a_class_without_beats(
    record_files: list[Path], tmp_path: Path
) -> None:
    class_map = CLASS_MAP | {"R": "RBBB"}
    with pytest.raises(InputError, match=r"task six: class\(es\) RBBB have no beats in the chosen"):
        build_dataset(record_files, tmp_path / "six.npz", tmp_path / "six.tsv", "six", class_map)
    assert not (tmp_path / "six.npz").exists()


def test_build_dataset_names_a_stale_beats_file(record_files: list[Path], tmp_path: Path) -> None:
    stale = tmp_path / "300.npz"
    np.savez_compressed(stale, beats=np.zeros((2, 4)), symbols=np.array(["N", "V"]))
    with pytest.raises(InputError, match=r"300\.npz: not a record beats file \(missing samples"):
        build_dataset(
            [*record_files, stale], tmp_path / "d.npz", tmp_path / "c.tsv", "six", CLASS_MAP
        )


def test_plot_class_distribution_writes_a_png(record_files: list[Path], tmp_path: Path) -> None:
    counts = tmp_path / "counts.tsv"
    build_dataset(record_files, tmp_path / "six.npz", counts, "six", CLASS_MAP)
    figure = tmp_path / "figures" / "six" / "class_distribution.png"
    plot_class_distribution(counts, figure, "six")
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
