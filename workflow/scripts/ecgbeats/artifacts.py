"""The files passed between the workflow's stages: their formats, and the only code that reads
or writes them.

Every array file is an ``.npz`` (``numpy.savez_compressed``, no pickles) described by an
:class:`NpzFormat`: its keys, each key's kind (float, integer, string, boolean), rank, and
which keys hold one row per beat (their first dimension must agree). ``save`` refuses to write
and ``load`` refuses to return an array set that breaks its format, with an error naming the
file and the key, so a stale or foreign file fails where it is read, not three stages later.

Formats (rows = one per beat unless said otherwise):

``results/beats/{record}.npz`` (:data:`RECORD_BEATS`)
    beats (rows, window) float32 normalised beats; symbols (rows,) MIT-BIH symbol; samples
    (rows,) R-peak sample at ``fs``; rr_features (rows, ecgbeats.rhythm.RR_FEATURES); rhythms
    (rows,) the rhythm annotation in force ("(N", "(AFIB", ...; "" before the first one);
    median_beat (window,) the record's median beat;
    record, lead (scalars); fs (the beats' rate, 360 Hz), source_fs (the record's own rate);
    edge_drops (scalar count) and dropped_symbols (those beats' symbols).
``results/datasets/{task}.npz`` (:data:`DATASET`)
    beats, labels (index into class_names), records, symbols, samples, rr_features, rhythms
    (rows), class_names, and per record (record_ids order) its median beat (median_beats).
``results/{split}/{task}/split.npz`` (:data:`SPLIT`)
    train, validation, test: row indices into the task's dataset; class_names;
    missing_in_validation and excluded_classes (class names).
``results/{split}/{task}/predictions.npz`` (:data:`PREDICTIONS`)
    index (dataset rows of the test part), y_true, y_pred, probabilities (rows, classes),
    class_names.
``results/external/{database}/{split}/{task}/records/{recording}.npz`` (:data:`EXTERNAL_SCORES`)
    one record of another database scored by one model: samples (rows,) R peaks at the
    record's own rate ``source_fs``; symbols (rows,) MIT-BIH symbols (after the database's
    symbol map); probabilities (rows, classes); class_names; record, lead, database; edge_drops.
``results/external/{database}/{split}/{task}/predictions.npz`` (:data:`EXTERNAL_PREDICTIONS`)
    the database's beats of the task's classes: the keys of :data:`PREDICTIONS` (``index``: rows
    of the database's scored beats) plus records and samples (at each record's own rate).
``results/classify/{name}/{name}_shap.npz`` (:data:`CLASSIFIED_SHAP`)
    every classified beat of a new recording: samples (at its own rate ``source_fs``),
    predicted class, confidence, shap (rows, model input: the beat, then its RR features named by
    rr_features) of the predicted class's logit; class_names, expected_value (mean logits over
    the background), least_confident (rows), record, explainer, r_peak (sample in the beat).
``results/detection/{record}.npz`` (:data:`DETECTIONS`)
    detected, reference: R-peak samples at ``fs`` (360 Hz); symbols of the reference beats;
    reference_index, detected_index: matched pairs (150 ms window, ``window`` samples); fs,
    source_fs, record, lead.
``results/{split}/{task}/interpret/shap_values.npz`` (:data:`SHAP_VALUES`)
    grid_*: the explained grid beats (beats, SHAP values (beats, classes, window), true and
    predicted class, confidence, logits, role); profile_*: per-class mean |SHAP| profiles;
    expected_value, background_index, additivity_residual, explainer, output, r_peak; with an
    RR branch, every beat row is the model's input (beat, then the RR features ``rr_features``).
``model.pt``
    ``{"state_dict", "config", "class_names"}`` written by :func:`save_checkpoint` (CPU
    tensors, strings and lists only, loaded with ``weights_only=True``), and ``prematurity``
    (class indices, coefficients, intercept) for a model with a premature-beat decision.
``training_history.tsv``
    one row per epoch, columns :data:`HISTORY_COLUMNS` (:func:`write_history`,
    :func:`read_history`).
``metrics.tsv``, ``paper_comparison.tsv``, ``summary.tsv``
    tab-separated tables (:func:`write_table`, :func:`read_table`): ``NaN`` is the only missing
    value, so a class called ``NA`` stays a class.
``results/{split}/{task}/interpret/umap.tsv``
    one row per embedded test beat, columns :data:`UMAP_COLUMNS` (:func:`write_umap_table`,
    :func:`read_umap_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecgbeats.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

# numpy dtype kinds per declared kind.
_KINDS = {"float": "f", "int": "iu", "str": "U", "bool": "b"}


@dataclass(frozen=True)
class Key:
    """One array of a format: kind, rank, whether its first dimension is the row count."""

    kind: str
    rank: int
    rows: bool = False
    optional: bool = False


@dataclass(frozen=True)
class NpzFormat:
    """The keys of one kind of ``.npz`` file passed between stages."""

    name: str
    keys: Mapping[str, Key]

    def check(self, arrays: Mapping[str, np.ndarray], source: str | Path) -> None:
        """Raise InputError naming `source` and the key when `arrays` break the format."""
        missing = [k for k, spec in self.keys.items() if k not in arrays and not spec.optional]
        if missing:
            raise InputError(
                f"{source}: not a {self.name} file (missing {', '.join(missing)}; is it from an "
                "older version of the workflow?)"
            )
        rows: dict[str, int] = {}
        for key, spec in self.keys.items():
            if key not in arrays:
                continue
            array = np.asarray(arrays[key])
            if array.ndim != spec.rank:
                raise InputError(
                    f"{source}: {self.name} key {key!r} has {array.ndim} dimension(s), "
                    f"expected {spec.rank}"
                )
            if array.size and array.dtype.kind not in _KINDS[spec.kind]:
                raise InputError(
                    f"{source}: {self.name} key {key!r} holds {array.dtype}, expected {spec.kind}"
                )
            if spec.rows:
                rows[key] = array.shape[0]
        if len(set(rows.values())) > 1:
            raise InputError(f"{source}: {self.name} keys disagree in length: {rows}")

    def save(self, path: str | Path, **arrays: object) -> None:
        """Check `arrays` against the format and write them to `path` (compressed npz)."""
        values = {k: np.asarray(v) for k, v in arrays.items()}
        unknown = sorted(set(values) - set(self.keys))
        if unknown:
            raise ValueError(f"{self.name}: keys {unknown} are not part of the format")
        self.check(values, path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **values)

    def load(self, path: str | Path) -> dict[str, np.ndarray]:
        """The arrays of `path`, checked against the format (InputError naming the file)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: no such {self.name} file")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except Exception as error:  # numpy raises several types for truncated or foreign files
            raise InputError(f"{path}: cannot be read as a {self.name} file: {error}") from error
        self.check(arrays, path)
        return arrays


def _rows(kind: str, rank: int = 1) -> Key:
    return Key(kind, rank, rows=True)


RECORD_BEATS = NpzFormat(
    "record beats",
    {
        "beats": _rows("float", 2),
        "symbols": _rows("str"),
        "samples": _rows("int"),
        "rr_features": _rows("float", 2),
        "rhythms": _rows("str"),
        "median_beat": Key("float", 1),
        "record": Key("str", 0),
        "lead": Key("str", 0),
        "fs": Key("float", 0),
        "source_fs": Key("float", 0),
        "edge_drops": Key("int", 0),
        "dropped_symbols": Key("str", 1),
    },
)

DATASET = NpzFormat(
    "task dataset",
    {
        "beats": _rows("float", 2),
        "labels": _rows("int"),
        "records": _rows("str"),
        "symbols": _rows("str"),
        "samples": _rows("int"),
        "rr_features": _rows("float", 2),
        "rhythms": _rows("str"),
        "class_names": Key("str", 1),
        "record_ids": Key("str", 1),
        "median_beats": Key("float", 2),
    },
)

SPLIT = NpzFormat(
    "dataset split",
    {
        "train": Key("int", 1),
        "validation": Key("int", 1),
        "test": Key("int", 1),
        "class_names": Key("str", 1),
        "missing_in_validation": Key("str", 1),
        "excluded_classes": Key("str", 1),
    },
)

PREDICTIONS = NpzFormat(
    "test predictions",
    {
        "index": _rows("int"),
        "y_true": _rows("int"),
        "y_pred": _rows("int"),
        "probabilities": _rows("float", 2),
        "class_names": Key("str", 1),
    },
)

EXTERNAL_SCORES = NpzFormat(
    "external record scores",
    {
        "samples": _rows("int"),
        "symbols": _rows("str"),
        "probabilities": _rows("float", 2),
        "class_names": Key("str", 1),
        "record": Key("str", 0),
        "lead": Key("str", 0),
        "database": Key("str", 0),
        "source_fs": Key("float", 0),
        "edge_drops": Key("int", 0),
    },
)

CLASSIFIED_SHAP = NpzFormat(
    "classified beats' SHAP values",
    {
        "samples": _rows("int"),
        "predicted": _rows("int"),
        "confidence": _rows("float"),
        "shap": _rows("float", 2),
        "class_names": Key("str", 1),
        "expected_value": Key("float", 1),
        "least_confident": Key("int", 1),
        "rr_features": Key("str", 1),
        "record": Key("str", 0),
        "explainer": Key("str", 0),
        "source_fs": Key("float", 0),
        "r_peak": Key("int", 0),
    },
)

#: Read by the EC57 table and the figures as PREDICTIONS (the extra keys are ignored there).
EXTERNAL_PREDICTIONS = NpzFormat(
    "external predictions",
    {**PREDICTIONS.keys, "records": _rows("str"), "samples": _rows("int")},
)

DETECTIONS = NpzFormat(
    "R-peak detections",
    {
        "detected": Key("int", 1),
        "reference": Key("int", 1),
        "symbols": Key("str", 1),
        "reference_index": Key("int", 1),
        "detected_index": Key("int", 1),
        "window": Key("int", 0),
        "fs": Key("float", 0),
        "source_fs": Key("float", 0),
        "record": Key("str", 0),
        "lead": Key("str", 0),
    },
)

SHAP_VALUES = NpzFormat(
    "SHAP values",
    {
        "class_names": Key("str", 1),
        "explainer": Key("str", 0),
        "output": Key("str", 0),
        "expected_value": Key("float", 1),
        "background_index": Key("int", 1),
        "grid_index": _rows("int"),
        "grid_role": _rows("str"),
        "grid_y_true": _rows("int"),
        "grid_y_pred": _rows("int"),
        "grid_confidence": _rows("float"),
        "grid_logits": _rows("float", 2),
        "grid_beats": _rows("float", 2),
        "grid_shap": _rows("float", 3),
        "additivity_residual": _rows("float", 2),
        "profile_index": Key("int", 1),
        "profile_y_true": Key("int", 1),
        "profile_shap": Key("float", 2),
        "profile_mean_abs_shap": Key("float", 2),
        "profile_mean_beat": Key("float", 2),
        "profile_std_beat": Key("float", 2),
        "profile_counts": Key("int", 1),
        "r_peak": Key("int", 0),
        # The model's RR inputs, after the beat's samples in beats, values and profiles.
        "rr_features": Key("str", 1),
        # What the beat samples are relative to (ecgbeats.model.BEAT_REFERENCES).
        "beat_reference": Key("str", 0),
    },
)


def check_indices(indices: np.ndarray, size: int, source: str | Path, target: str | Path) -> None:
    """Row indices of `source` must address the `size` rows of `target` (else: out of date)."""
    indices = np.asarray(indices)
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise InputError(
            f"{source}: indexes outside the {size} rows of {target} (the two files are out of "
            "date with each other; rerun the workflow)"
        )


def class_names(arrays: Mapping[str, np.ndarray]) -> list[str]:
    """The class names of a loaded artifact as plain strings."""
    return [str(c) for c in arrays["class_names"]]


def require_same_classes(
    found: Sequence[str], expected: Sequence[str], source: str | Path, target: str | Path
) -> None:
    """Two artifacts of one task must name the same classes in the same order."""
    if list(found) != list(expected):
        raise InputError(
            f"{source}: classes {list(found)} differ from those of {target} {list(expected)} "
            "(out of date with each other; rerun the workflow)"
        )


def load_rows_of(
    dataset: str | Path,
    kind: NpzFormat,
    path: str | Path,
    index_keys: Sequence[str],
    data: Mapping[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[str]]:
    """A task's dataset and a file of `kind` whose `index_keys` are rows of it (a split, test
    predictions), checked against each other: the same classes, every index a row.

    Returns (dataset arrays, the file's arrays, class names); pass `data` when the dataset is
    already loaded.
    """
    data = dict(data) if data is not None else DATASET.load(dataset)
    arrays = kind.load(path)
    names = class_names(data)
    require_same_classes(class_names(arrays), names, path, dataset)
    for key in index_keys:
        check_indices(arrays[key], len(data["labels"]), path, dataset)
    return data, arrays, names


# --- Model stages: checkpoint, training history, metrics tables, UMAP table ------------------
# torch and pandas are imported inside the functions that need them: importing this module for
# the npz formats loads neither (figure rules run in envs without torch).

CHECKPOINT_KEYS = ("state_dict", "config", "class_names")


@dataclass(frozen=True)
class Checkpoint:
    """The contents of a ``model.pt``: weights, the model's shape settings, its class names."""

    state_dict: Mapping[str, Any]  # parameter and buffer name -> CPU tensor
    config: Mapping[str, Any]  # keyword arguments of ecgbeats.model.CNNConfig
    class_names: list[str]
    # ecgbeats.prematurity.PrematurityModel.to_dict(), or None: the model decides alone.
    prematurity: Mapping[str, Any] | None = None


def save_checkpoint(path: str | Path, model: Any, class_names: Sequence[str] | np.ndarray) -> None:
    """Write ``{"state_dict", "config", "class_names"}`` of `model` (a BeatCNN) to `path`, and
    ``prematurity`` when the model has a premature-beat decision.

    Tensors are stored on the CPU, the config as a plain dict: the file loads with
    ``torch.load(weights_only=True)`` (no pickled code).
    """
    import torch

    names = [str(c) for c in class_names]
    if len(names) != model.config.n_classes:
        raise InputError(
            f"checkpoint {path}: {len(names)} class names for a model with "
            f"{model.config.n_classes} outputs"
        )
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contents = {"state_dict": state, "config": model.config.to_dict(), "class_names": names}
    if getattr(model, "prematurity", None) is not None:
        contents["prematurity"] = model.prematurity.to_dict()
    torch.save(contents, path)


def load_checkpoint(
    path: str | Path, expected_class_names: Sequence[str] | np.ndarray | None = None
) -> Checkpoint:
    """The contents of a checkpoint written by :func:`save_checkpoint` (tensors on the CPU).

    Raises InputError naming the file when it is missing, corrupt, not such a checkpoint, or its
    class names differ from `expected_class_names`. ecgbeats.model.load_model builds the model.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path}: no such file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise InputError(
            f"checkpoint {path} cannot be read (corrupt or not a torch file): {error}"
        ) from error
    if not isinstance(data, dict) or any(k not in data for k in CHECKPOINT_KEYS):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise InputError(f"checkpoint {path}: expected keys {list(CHECKPOINT_KEYS)}, got {keys}")
    config = data["config"]
    if not isinstance(config, dict):
        raise InputError(f"checkpoint {path}: invalid model config: {config!r}")
    class_names = [str(c) for c in data["class_names"]]
    if len(class_names) != config.get("n_classes"):
        raise InputError(
            f"checkpoint {path}: {len(class_names)} class names but "
            f"{config.get('n_classes')} outputs"
        )
    if expected_class_names is not None:
        expected = [str(c) for c in expected_class_names]
        if expected != class_names:
            raise InputError(
                f"checkpoint {path}: class names {class_names} differ from the expected {expected}"
            )
    decision = data.get("prematurity")
    if decision is not None and not isinstance(decision, dict):
        raise InputError(f"checkpoint {path}: invalid premature-beat decision: {decision!r}")
    return Checkpoint(data["state_dict"], config, class_names, decision)


#: Parts and per-part metrics of a training history; its columns are ``{part}_{metric}``.
HISTORY_PARTS = ("train", "validation")
HISTORY_METRICS = ("loss", "accuracy", "macro_f1")
HISTORY_COLUMNS = (
    "epoch",
    "lr",
    *(f"{part}_{metric}" for part in HISTORY_PARTS for metric in HISTORY_METRICS),
    "seconds",
)


def write_history(path: str | Path, history: Sequence[Mapping[str, float]]) -> None:
    """Tab-separated training history: HISTORY_COLUMNS as header, one row per epoch."""
    lines = ["\t".join(HISTORY_COLUMNS)]
    for row in history:
        cells = [str(int(row["epoch"]))] + [f"{row[c]:.6g}" for c in HISTORY_COLUMNS[1:]]
        lines.append("\t".join(cells))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def check_history(table: pd.DataFrame, source: str | Path) -> None:
    """A training history has every column of HISTORY_COLUMNS and at least one epoch row."""
    missing = [c for c in HISTORY_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{source}: not a training history (missing column(s) {missing}; columns: "
            f"{list(table.columns)})"
        )
    if table.empty:
        raise InputError(f"{source}: training history without epoch rows")


def read_history(path: str | Path) -> pd.DataFrame:
    """The training history written by :func:`write_history` (InputError naming the file)."""
    table = _read_tsv(path)  # numbers only: pandas' default missing values (nan) apply
    check_history(table, path)
    return table


def write_table(path: str | Path, table: pd.DataFrame, float_format: str) -> None:
    """A table between stages (metrics, paper comparison, summary) as TSV; NaN as ``NaN``."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep="\t", index=False, na_rep="NaN", float_format=float_format)


def _read_tsv(path: str | Path, **options: Any) -> pd.DataFrame:
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such table")
    try:
        return pd.read_csv(path, sep="\t", **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read as a tab-separated table: {error}") from error


def read_table(
    path: str | Path, text_columns: Sequence[str] = (), required: Sequence[str] = ()
) -> pd.DataFrame:
    """A TSV table between stages. Only ``NaN`` marks a missing value (a class called ``NA``
    stays a name); `text_columns` stay strings; `required` columns must be present."""
    table = _read_tsv(
        path, dtype=dict.fromkeys(text_columns, str), keep_default_na=False, na_values=["NaN"]
    )
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {missing} (columns: {list(table.columns)}; is it from an "
            "older version of the workflow?)"
        )
    return table


#: Columns of ``interpret/umap.tsv``, one row per embedded test beat.
UMAP_COLUMNS = (
    "dataset_index",
    "record",
    "sample",
    "umap_1",
    "umap_2",
    "true_class",
    "predicted_class",
    "correct",
    "confidence",
)


def write_umap_table(path: str | Path, table: pd.DataFrame) -> None:
    """The UMAP table (columns UMAP_COLUMNS, in order) as TSV, floats to 6 significant digits."""
    if tuple(table.columns) != UMAP_COLUMNS:
        raise ValueError(f"UMAP table columns {list(table.columns)}, expected {list(UMAP_COLUMNS)}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep="\t", index=False, float_format="%.6g")


def read_umap_table(path: str | Path) -> pd.DataFrame:
    """The UMAP table written by :func:`write_umap_table` (class names and records as text)."""
    return read_table(
        path, text_columns=("record", "true_class", "predicted_class"), required=UMAP_COLUMNS
    )
