"""Rules train_model (class balancing of the training part, then the CNN of one seed, kept at its
best epoch on the validation part) and select_model (the representative seed's model)."""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from ecgbeats.artifacts import (
    DATASET,
    SPLIT,
    class_names,
    load_checkpoint,
    load_rows_of,
    read_history,
    save_checkpoint,
    write_history,
)
from ecgbeats.balancing import BalanceOptions, balance
from ecgbeats.errors import InputError
from ecgbeats.model import CNNConfig, dataset_inputs
from ecgbeats.prematurity import DEFAULT_GATE_INPUTS, RATIOS, fit_prematurity
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.table_views import write_table_view
from ecgbeats.training import TrainConfig
from ecgbeats.training import train_model as fit

logger = logging.getLogger(__name__)


def train_model(
    dataset: str | Path,
    split_file: str | Path,
    model: str | Path,
    history: str | Path,
    balancing: BalanceOptions,
    network: Mapping[str, Any],
    training: TrainConfig,
    prematurity: Mapping[str, Any] | None,
    extra_datasets: Sequence[str | Path] = (),
) -> int:
    """Balance the training part of `dataset` (rows from `split_file`), train the CNN, and write the
    model of the epoch best on validation to `model` and the per-epoch history to the TSV
    `history` (and its HTML view).

    `network`: the CNN's shape settings (ecgbeats.model.CNNConfig without n_classes and
    input_length, which come from the dataset). Validation and test keep the natural class mix.
    `prematurity`: None, or the class names ``normal`` and ``premature`` between which the
    model's premature-beat decision (ecgbeats.prematurity), fitted on the training part's beats
    of these two classes, shares their joint probability, and ``fibrillation``, the rhythm
    annotations (e.g. "(AFIB") whose training beats teach its fibrillation gate (empty: no
    gate), which reads the RR features ``fibrillation_inputs`` (ecgbeats.prematurity.GATE_INPUTS);
    it is stored with the model.
    `extra_datasets`: datasets of the same task from other databases (build_external_dataset),
    all of whose beats join the training part: the balancing, the network and the decision
    learn from them; model selection stays on the validation part.
    Returns the epoch of the kept model.
    """

    data, parts, names = load_rows_of(dataset, SPLIT, split_file, ("train", "validation"))
    # The workflow's beats are one lead each (preprocess_record); more leads are the
    # benchmark's (benchmarks/ablate_inter.py, README "What helps unseen patients").
    config = CNNConfig(
        n_classes=len(names), input_length=data["beats"].shape[1], leads=1, **network
    )
    labels = data["labels"]
    train_index, validation_index = parts["train"], parts["validation"]
    training_part = TrainingPart.of(config, data, train_index)
    excluded_classes = tuple(str(c) for c in parts["excluded_classes"])
    for path in extra_datasets:
        extra = _extra_training_part(config, path, names, excluded_classes)
        training_part = training_part.joined(extra)
    # Fitted before the long part (it needs no network), so that its errors come first.
    decision = None
    if prematurity is not None:
        unknown = sorted({prematurity["normal"], prematurity["premature"]} - set(names))
        if unknown:
            raise InputError(
                f"premature-beat decision: class(es) {', '.join(unknown)} not among the "
                f"dataset's classes {names}"
            )
        decision = fit_prematurity(
            training_part.rr_features,
            RR_FEATURES,
            training_part.labels,
            names.index(prematurity["normal"]),
            names.index(prematurity["premature"]),
            # The training beats in the listed rhythms teach the fibrillation gate (none: no gate).
            np.isin(training_part.rhythms, list(prematurity["fibrillation"]))
            if prematurity["fibrillation"]
            else None,
            tuple(prematurity.get("fibrillation_inputs", DEFAULT_GATE_INPUTS)),
        )
    # The model's input rows (each beat, relative to its record's median beat if the model says
    # so, then its RR features), balanced and trained together; the test rows are not built.
    balanced = balance(
        training_part.inputs,
        training_part.labels,
        names,
        balancing,
        excluded_classes=excluded_classes,
    )
    before = np.bincount(training_part.labels, minlength=len(names))
    after = np.bincount(balanced.labels, minlength=len(names))
    logger.info(
        "balancing (%s): %s",
        balancing.method,
        ", ".join(f"{n} {b}->{a}" for n, b, a in zip(names, before, after, strict=True)),
    )
    if balanced.class_weights is not None:
        logger.info("class weights: %s", np.round(balanced.class_weights, 4).tolist())
    result = fit(
        balanced.beats,
        balanced.labels,
        dataset_inputs(config, data, validation_index),
        labels[validation_index],
        config,
        training,
        class_weights=balanced.class_weights,
    )
    if decision is not None:
        result.model.set_prematurity(decision)
        logger.info(
            "premature-beat decision (%s vs %s): intercept %.4f, coefficients %s; %s",
            prematurity["premature"],
            prematurity["normal"],
            decision.intercept,
            ", ".join(
                f"{ratio} {value:.4f}"
                for ratio, value in zip(RATIOS, decision.coefficients, strict=True)
            ),
            "no fibrillation gate"
            if decision.fibrillation is None
            else (
                "fibrillation gate: intercept "
                f"{decision.fibrillation.intercept:.4f}, coefficients "
                + ", ".join(
                    f"{name} {value:.4f}"
                    for name, value in zip(
                        decision.fibrillation.inputs,
                        decision.fibrillation.coefficients,
                        strict=True,
                    )
                )
            ),
        )
    save_checkpoint(model, result.model, names)
    write_history(history, result.history)
    write_table_view(history)
    logger.info("saved the model of epoch %d to %s", result.best_epoch, model)
    return result.best_epoch


@dataclass(frozen=True)
class TrainingPart:
    """The training beats: the model's input rows, labels, RR features and rhythm annotations."""

    inputs: np.ndarray
    labels: np.ndarray
    rr_features: np.ndarray
    rhythms: np.ndarray

    @classmethod
    def of(
        cls, config: CNNConfig, data: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> TrainingPart:
        """The rows `rows` of a task dataset's arrays `data`."""
        return cls(
            inputs=dataset_inputs(config, data, rows),
            labels=data["labels"][rows],
            rr_features=data["rr_features"][rows],
            rhythms=data["rhythms"][rows].astype(str),
        )

    def joined(self, other: TrainingPart) -> TrainingPart:
        """These beats, then `other`'s."""
        return TrainingPart(
            **{
                field.name: np.concatenate([getattr(self, field.name), getattr(other, field.name)])
                for field in fields(self)
            }
        )


def _extra_training_part(
    config: CNNConfig, path: str | Path, names: list[str], excluded_classes: Sequence[str]
) -> TrainingPart:
    """The beats of another database's dataset `path`, which must have the task's classes
    `names` and the beats' window of the MIT-BIH dataset; beats of the classes that the split
    leaves out (`excluded_classes`, e.g. paced beats) are left out here too."""
    extra = DATASET.load(path)
    if class_names(extra) != names:
        raise InputError(f"{path}: classes {class_names(extra)} differ from the task's {names}")
    if extra["beats"].shape[1] != config.input_length:
        raise InputError(
            f"{path}: beats of {extra['beats'].shape[1]} samples, the MIT-BIH dataset's have "
            f"{config.input_length}"
        )
    left_out = np.isin(extra["labels"], [names.index(c) for c in excluded_classes])
    part = TrainingPart.of(config, extra, np.flatnonzero(~left_out))
    counts = np.bincount(part.labels, minlength=len(names))
    # Rhythm notes teach the fibrillation gate: say which ones this database brings.
    notes = Counter(note or "none" for note in part.rhythms.tolist())
    dropped = (
        f" ({int(left_out.sum())} of {', '.join(excluded_classes)}, left out by the split, dropped)"
        if excluded_classes
        else ""
    )
    logger.info(
        "training beats from %s: %d of %d record(s)%s; %s; rhythm notes: %s",
        path,
        part.labels.size,
        len(extra["record_ids"]),
        dropped,
        ", ".join(f"{n} {c}" for n, c in zip(names, counts, strict=True)),
        ", ".join(f"{note} {count}" for note, count in sorted(notes.items())),
    )
    return part


def select_model(
    model: str | Path,
    history: str | Path,
    selected_model: str | Path,
    selected_history: str | Path,
    seed: int,
) -> None:
    """Copy the model and history of the representative `seed` to where the evaluation, the
    explanations and classification read them; both are checked on the way."""
    load_checkpoint(model)
    read_history(history)
    shutil.copyfile(model, selected_model)
    shutil.copyfile(history, selected_history)
    write_table_view(selected_history)
    logger.info("seed %d represents the model: %s", seed, model)
