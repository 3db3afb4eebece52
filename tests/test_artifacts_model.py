"""Files of the model stages (ecgbeats.artifacts): checkpoint, training history, tables, UMAP
table, predictions and SHAP values; and helpers that write consistent inputs for stage tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from ecgbeats import artifacts
from ecgbeats.artifacts import (
    DATASET,
    HISTORY_COLUMNS,
    PREDICTIONS,
    SHAP_VALUES,
    SPLIT,
    UMAP_COLUMNS,
    load_checkpoint,
    read_history,
    read_table,
    read_umap_table,
    save_checkpoint,
    write_history,
    write_table,
    write_umap_table,
)
from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, CNNConfig, predict_proba
from ecgbeats.rhythm import RR_FEATURES

REPO_ROOT = Path(__file__).resolve().parents[1]
NAMES = ["NOR", "PVC", "PAC"]
#: Narrow widths for fast tests.
SMALL = {
    "channels": (4, 4, 8, 8, 8, 8),
    "hidden": (16, 8, 6),
    "kernel_size": 3,
    "dropout": 0.0,
    "rr_features": (),
    "rr_hidden": 4,
    "beat_reference": "none",
}


def cnn_config(n_classes: int, **changes: object) -> CNNConfig:
    """The CNN of config.yaml (section ``model``) for 300-sample beats, with `changes`."""
    settings = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())["model"]
    return CNNConfig(n_classes=n_classes, input_length=300, **{"leads": 1, **settings, **changes})


def small_config(n_classes: int, **changes: object) -> CNNConfig:
    """A narrow CNN for 300-sample beats."""
    return CNNConfig(n_classes=n_classes, input_length=300, **{"leads": 1, **SMALL, **changes})


def write_dataset(
    path: Path,
    beats: np.ndarray,
    labels: np.ndarray,
    names: list[str],
    record: str = "100",
    rr_features: np.ndarray | None = None,
) -> Path:
    """A task dataset (DATASET format) of `beats`, all from `record`, 300 samples apart, with
    `rr_features` (default: a regular rhythm)."""
    n = len(labels)
    DATASET.save(
        path,
        beats=np.asarray(beats, dtype=np.float32),
        labels=np.asarray(labels, dtype=np.int64),
        records=np.full(n, record),
        symbols=np.full(n, "N"),
        samples=np.arange(n, dtype=np.int64) * 300,
        rr_features=(
            np.full((n, len(RR_FEATURES)), 0.8, dtype=np.float32)
            if rr_features is None
            else rr_features
        ),
        rhythms=np.full(n, "(N"),
        class_names=np.asarray(names),
        record_ids=np.asarray([record]),
        median_beats=np.median(np.asarray(beats, dtype=np.float32), axis=0)[None],
    )
    return path


def write_split(
    path: Path, train: np.ndarray, validation: np.ndarray, test: np.ndarray, names: list[str]
) -> Path:
    """A split (SPLIT format) with nothing missing or excluded."""
    SPLIT.save(
        path,
        train=np.asarray(train, dtype=np.int64),
        validation=np.asarray(validation, dtype=np.int64),
        test=np.asarray(test, dtype=np.int64),
        class_names=np.asarray(names),
        missing_in_validation=np.zeros(0, dtype=str),
        excluded_classes=np.zeros(0, dtype=str),
    )
    return path


def save_predictions(
    path: Path, model: torch.nn.Module, beats: np.ndarray, labels: np.ndarray, test, names
) -> np.ndarray:
    """Write the predictions of `model` on the `test` rows (as evaluate_model does); returns the
    probabilities."""
    probabilities = predict_proba(model, beats[test])
    PREDICTIONS.save(
        path,
        index=test,
        y_true=labels[test],
        y_pred=probabilities.argmax(1),
        probabilities=probabilities,
        class_names=np.asarray(names),
    )
    return probabilities


def history_row(epoch: int) -> dict[str, float]:
    return dict.fromkeys(HISTORY_COLUMNS, 0.5 / epoch) | {"epoch": epoch}


# --- checkpoints ------------------------------------------------------------------------------


def test_checkpoint_round_trip_is_a_weights_only_dict(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = BeatCNN(small_config(3, dropout=0.2))
    path = tmp_path / "sub" / "model.pt"
    save_checkpoint(path, model, np.array(NAMES))
    checkpoint = load_checkpoint(path, expected_class_names=NAMES)
    assert checkpoint.class_names == NAMES
    assert checkpoint.config == model.config.to_dict()
    state = model.state_dict()
    assert set(checkpoint.state_dict) == set(state)
    assert all(torch.equal(checkpoint.state_dict[k], state[k]) for k in state)
    raw = torch.load(path, weights_only=True)
    assert set(raw) == set(artifacts.CHECKPOINT_KEYS)
    # The same model saved twice gives the same bytes.
    save_checkpoint(tmp_path / "again" / "model.pt", model, NAMES)
    assert (tmp_path / "again" / "model.pt").read_bytes() == path.read_bytes()


def test_checkpoint_problems_name_the_file(tmp_path: Path) -> None:
    model = BeatCNN(small_config(3))
    with pytest.raises(InputError, match="2 class names for a model with 3 outputs"):
        save_checkpoint(tmp_path / "model.pt", model, NAMES[:2])
    with pytest.raises(InputError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, NAMES)
    with pytest.raises(InputError, match=r"model.pt: class names .* differ"):
        load_checkpoint(path, expected_class_names=["NOR", "PAC", "PVC"])
    data = torch.load(path, weights_only=True)
    torch.save(data | {"class_names": NAMES[:2]}, path)
    with pytest.raises(InputError, match="2 class names but 3 outputs"):
        load_checkpoint(path)
    torch.save({"weights": 1}, path)
    with pytest.raises(InputError, match="expected keys"):
        load_checkpoint(path)
    path.write_bytes(b"not a torch file")
    with pytest.raises(InputError, match="model.pt cannot be read"):
        load_checkpoint(path)


# --- training history ---------------------------------------------------------------------------


def test_history_round_trip(tmp_path: Path) -> None:
    assert HISTORY_COLUMNS[:2] == ("epoch", "lr") and HISTORY_COLUMNS[-1] == "seconds"
    assert "validation_macro_f1" in HISTORY_COLUMNS
    path = tmp_path / "h.tsv"
    write_history(path, [history_row(1), history_row(2)])
    assert path.read_text().splitlines()[0] == "\t".join(HISTORY_COLUMNS)
    table = read_history(path)
    assert list(table.columns) == list(HISTORY_COLUMNS) and table["epoch"].tolist() == [1, 2]
    assert table["train_loss"].tolist() == [0.5, 0.25]


def test_history_without_a_column_or_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.tsv"
    write_history(path, [history_row(1)])
    pd.read_csv(path, sep="\t").drop(columns="validation_loss").to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"h.tsv: not a training history .*validation_loss"):
        read_history(path)
    write_history(path, [])
    with pytest.raises(InputError, match="without epoch rows"):
        read_history(path)
    with pytest.raises(InputError, match="no such table"):
        read_history(tmp_path / "missing.tsv")


# --- tables between stages ----------------------------------------------------------------------


def test_tables_keep_class_names_and_nan(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"class": ["N", "NA", "macro avg"], "f1": [0.5, np.nan, 0.25], "note": ["", "x", ""]}
    )
    path = tmp_path / "t.tsv"
    write_table(path, table, float_format="%.4f")
    assert "NaN" in path.read_text()
    again = read_table(path, text_columns=("class",), required=("class", "f1"))
    assert again["class"].tolist() == ["N", "NA", "macro avg"]
    assert np.isnan(again["f1"][1]) and again["note"].tolist() == ["", "x", ""]
    with pytest.raises(InputError, match=r"t.tsv: missing column\(s\) \['support'\]"):
        read_table(path, required=("support",))


def test_umap_table_round_trip(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "dataset_index": [3, 5],
            "record": ["100", "107"],
            "sample": [10, 20],
            "umap_1": [0.123456789, 1.0],
            "umap_2": [2.0, -1.0],
            "true_class": ["NA", "N"],
            "predicted_class": ["N", "N"],
            "correct": [False, True],
            "confidence": [0.75, 0.5],
        }
    )
    path = tmp_path / "umap.tsv"
    write_umap_table(path, table)
    again = read_umap_table(path)
    assert tuple(again.columns) == UMAP_COLUMNS
    assert again["record"].tolist() == ["100", "107"]  # text, not numbers
    assert again["true_class"].tolist() == ["NA", "N"]  # a class called NA stays a class
    assert again["umap_1"][0] == pytest.approx(0.123457, abs=1e-9)  # 6 significant digits
    with pytest.raises(ValueError, match="UMAP table columns"):
        write_umap_table(path, table.drop(columns="record"))
    table.drop(columns="confidence").to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match="confidence"):
        read_umap_table(path)


# --- npz formats of the model stages --------------------------------------------------------


def predictions_arrays(n: int = 4, k: int = 3) -> dict[str, np.ndarray]:
    probabilities = np.full((n, k), 1 / k, dtype=np.float32)
    return {
        "index": np.arange(n, dtype=np.int64),
        "y_true": np.zeros(n, dtype=np.int64),
        "y_pred": np.zeros(n, dtype=np.int64),
        "probabilities": probabilities,
        "class_names": np.asarray(NAMES[:k]),
    }


def test_predictions_round_trip_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "predictions.npz"
    arrays = predictions_arrays()
    PREDICTIONS.save(path, **arrays)
    loaded = PREDICTIONS.load(path)
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].dtype == value.dtype
    assert artifacts.class_names(loaded) == NAMES
    with pytest.raises(InputError, match="disagree in length"):
        PREDICTIONS.save(path, **arrays | {"y_pred": np.zeros(3, dtype=np.int64)})
    np.savez(path, **{k: v for k, v in arrays.items() if k != "probabilities"})
    with pytest.raises(InputError, match="missing probabilities"):
        PREDICTIONS.load(path)


def shap_arrays(grid: int = 2, profile: int = 3, k: int = 3, length: int = 300) -> dict:
    rng = np.random.default_rng(0)
    return {
        "class_names": np.asarray(NAMES[:k]),
        "explainer": np.asarray("deep"),
        "output": np.asarray("logits"),
        "expected_value": rng.normal(size=k),
        "background_index": np.arange(5, dtype=np.int64),
        "grid_index": np.arange(grid, dtype=np.int64),
        "grid_role": np.asarray(["correct"] * grid),
        "grid_y_true": np.zeros(grid, dtype=np.int64),
        "grid_y_pred": np.zeros(grid, dtype=np.int64),
        "grid_confidence": np.full(grid, 0.9, dtype=np.float32),
        "grid_logits": rng.normal(size=(grid, k)).astype(np.float32),
        "grid_beats": rng.normal(size=(grid, length)).astype(np.float32),
        "grid_shap": rng.normal(size=(grid, length, k)).astype(np.float32),
        "additivity_residual": np.zeros((grid, k), dtype=np.float32),
        "profile_index": np.arange(profile, dtype=np.int64),
        "profile_y_true": np.zeros(profile, dtype=np.int64),
        "profile_shap": rng.normal(size=(profile, length)).astype(np.float32),
        "profile_mean_abs_shap": rng.normal(size=(k, length)),
        "profile_mean_beat": rng.normal(size=(k, length)),
        "profile_std_beat": rng.normal(size=(k, length)),
        "profile_counts": np.asarray([profile, 0, 0], dtype=np.int64),
        "r_peak": np.asarray(150, dtype=np.int64),
        "rr_features": np.asarray(["previous", "next_to_record"]),
        "beat_reference": np.asarray("none"),
    }


def test_shap_values_round_trip_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "shap_values.npz"
    arrays = shap_arrays()
    SHAP_VALUES.save(path, **arrays)
    loaded = SHAP_VALUES.load(path)
    assert set(loaded) == set(arrays)
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
    assert int(loaded["r_peak"]) == 150 and str(loaded["explainer"]) == "deep"
    with pytest.raises(InputError, match="grid_shap' has 2 dimension"):
        SHAP_VALUES.save(path, **arrays | {"grid_shap": arrays["grid_shap"][:, :, 0]})
    with pytest.raises(InputError, match="disagree in length"):
        SHAP_VALUES.save(path, **arrays | {"grid_role": np.asarray(["correct"])})


def test_dataset_and_split_helpers_write_valid_files(tmp_path: Path) -> None:
    labels = np.array([0, 1, 2, 0])
    dataset = write_dataset(tmp_path / "d.npz", np.zeros((4, 300)), labels, NAMES)
    split = write_split(tmp_path / "s.npz", [0, 1], [2], [3], NAMES)
    assert artifacts.class_names(DATASET.load(dataset)) == NAMES
    assert SPLIT.load(split)["test"].tolist() == [3]
