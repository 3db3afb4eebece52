"""ecgbeats.artifacts: the npz files between stages round-trip, and a broken one is named."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from ecgbeats.artifacts import (
    DATASET,
    RECORD_BEATS,
    SPLIT,
    Key,
    NpzFormat,
    check_indices,
    class_names,
    require_same_classes,
)
from ecgbeats.errors import InputError
from ecgbeats.rhythm import RR_FEATURES

ROWS = 5


def record_beats() -> dict[str, np.ndarray]:
    """A valid per-record beats file's arrays, as preprocess_record writes them."""
    rng = np.random.default_rng(0)
    return {
        "beats": rng.standard_normal((ROWS, 300)).astype(np.float32),
        "symbols": np.array(["N", "N", "V", "A", "N"]),
        "samples": np.arange(ROWS, dtype=np.int64) * 300 + 200,
        "rr_features": np.full((ROWS, len(RR_FEATURES)), 0.83, dtype=np.float32),
        "rhythms": np.array(["(N", "(N", "(AFIB", "(AFIB", "(N"]),
        "median_beat": np.zeros(300, dtype=np.float32),
        "record": np.array("100"),
        "lead": np.array("MLII"),
        "fs": np.array(360.0),
        "source_fs": np.array(360.0),
        "edge_drops": np.array(2),
        "dropped_symbols": np.array(["N", "+"]),
    }


def dataset() -> dict[str, np.ndarray]:
    beats = record_beats()
    return {
        "beats": beats["beats"],
        "labels": np.array([0, 0, 1, 2, 0], dtype=np.int64),
        "records": np.array(["100"] * ROWS),
        "symbols": beats["symbols"],
        "samples": beats["samples"],
        "rr_features": beats["rr_features"],
        "rhythms": beats["rhythms"],
        "record_ids": np.array(["100"]),
        "median_beats": beats["median_beat"][None],
        "class_names": np.array(["NOR", "PVC", "PAC"]),
    }


def split() -> dict[str, np.ndarray]:
    return {
        "train": np.array([0, 2, 3], dtype=np.int64),
        "validation": np.array([1], dtype=np.int64),
        "test": np.array([4], dtype=np.int64),
        "class_names": np.array(["NOR", "PVC", "PAC"]),
        "missing_in_validation": np.array([], dtype=str),
        "excluded_classes": np.array([], dtype=str),
    }


FORMATS = {
    "record beats": (RECORD_BEATS, record_beats),
    "dataset": (DATASET, dataset),
    "split": (SPLIT, split),
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_round_trip_keeps_every_array(name: str, tmp_path: Path) -> None:
    form, arrays = FORMATS[name]
    written = arrays()
    path = tmp_path / "sub" / "file.npz"  # save makes the folder
    form.save(path, **written)
    loaded = form.load(path)
    assert set(loaded) == set(written)
    for key, array in written.items():
        np.testing.assert_array_equal(loaded[key], array)
        assert loaded[key].dtype == array.dtype, key


def test_class_names_are_plain_strings(tmp_path: Path) -> None:
    DATASET.save(tmp_path / "d.npz", **dataset())
    names = class_names(DATASET.load(tmp_path / "d.npz"))
    assert names == ["NOR", "PVC", "PAC"] and all(type(n) is str for n in names)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Written around the format's checks, like a stale or foreign file."""
    np.savez_compressed(path, **arrays)
    return path


def test_missing_key_names_file_and_key(tmp_path: Path) -> None:
    arrays = dataset()
    del arrays["labels"]
    path = write_npz(tmp_path / "six.npz", arrays)
    with pytest.raises(InputError, match=r"six\.npz: not a task dataset file \(missing labels;"):
        DATASET.load(path)


def test_wrong_rank_names_file_and_key(tmp_path: Path) -> None:
    arrays = record_beats() | {"beats": np.zeros(ROWS, dtype=np.float32)}
    path = write_npz(tmp_path / "100.npz", arrays)
    with pytest.raises(InputError, match=r"100\.npz: record beats key 'beats' has 1 dimension"):
        RECORD_BEATS.load(path)
    with pytest.raises(InputError, match=r"key 'beats' has 1 dimension"):
        RECORD_BEATS.save(tmp_path / "new.npz", **arrays)
    assert not (tmp_path / "new.npz").exists()


def test_wrong_kind_names_file_and_key(tmp_path: Path) -> None:
    arrays = split() | {"train": np.array([0.0, 2.0])}
    path = write_npz(tmp_path / "split.npz", arrays)
    with pytest.raises(InputError, match=r"split\.npz: dataset split key 'train' holds float64"):
        SPLIT.load(path)


def test_rows_disagreeing_name_file_and_keys(tmp_path: Path) -> None:
    arrays = dataset() | {"records": np.array(["100"] * (ROWS - 1))}
    path = write_npz(tmp_path / "six.npz", arrays)
    with pytest.raises(InputError, match=r"six\.npz: task dataset keys disagree in length") as info:
        DATASET.load(path)
    assert "'records': 4" in str(info.value) and "'labels': 5" in str(info.value)


def test_unknown_key_is_refused_on_save(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"keys \['extra'\] are not part of the format"):
        SPLIT.save(tmp_path / "split.npz", **split(), extra=np.zeros(1))


@pytest.mark.parametrize("content", [b"not a zip file", b"PK\x03\x04 truncated"])
def test_non_npz_file_is_named(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "100.npz"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"100\.npz: cannot be read as a record beats file"):
        RECORD_BEATS.load(path)


def test_pickled_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "split.npz"
    np.savez(path, **split() | {"train": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(InputError, match=r"split\.npz: cannot be read"):
        SPLIT.load(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"gone\.npz: no such dataset split file"):
        SPLIT.load(tmp_path / "gone.npz")


def test_index_out_of_range_names_both_files() -> None:
    check_indices(np.array([0, 4]), 5, "split.npz", "six.npz")
    check_indices(np.array([], dtype=np.int64), 0, "split.npz", "six.npz")
    for bad in ([0, 5], [-1, 2]):
        with pytest.raises(InputError, match=r"split\.npz: indexes outside the 5 rows of six\.npz"):
            check_indices(np.array(bad), 5, "split.npz", "six.npz")


def test_different_classes_name_both_files() -> None:
    require_same_classes(["A", "B"], ["A", "B"], "split.npz", "six.npz")
    with pytest.raises(InputError, match=r"split\.npz: classes \['B', 'A'\] differ .*six\.npz"):
        require_same_classes(["B", "A"], ["A", "B"], "split.npz", "six.npz")


def test_optional_key_may_be_absent(tmp_path: Path) -> None:
    form = NpzFormat("probe", {"x": Key("int", 1), "note": Key("str", 0, optional=True)})
    form.save(tmp_path / "p.npz", x=np.arange(3))
    assert set(form.load(tmp_path / "p.npz")) == {"x"}
    with zipfile.ZipFile(tmp_path / "p.npz") as archive:
        assert archive.namelist() == ["x.npy"]
