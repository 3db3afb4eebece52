"""Rules train_model (class balancing of the training part, then the CNN of one seed, kept at its
best epoch on the validation part) and select_model (the representative seed's model)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ecgbeats.artifacts import (
    SPLIT,
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
            data["rr_features"][train_index],
            RR_FEATURES,
            labels[train_index],
            names.index(prematurity["normal"]),
            names.index(prematurity["premature"]),
            # The training beats in the listed rhythms teach the fibrillation gate (none: no gate).
            np.isin(data["rhythms"][train_index], list(prematurity["fibrillation"]))
            if prematurity["fibrillation"]
            else None,
            tuple(prematurity.get("fibrillation_inputs", DEFAULT_GATE_INPUTS)),
        )
    # The model's input rows (each beat, relative to its record's median beat if the model says
    # so, then its RR features), balanced and trained together; the test rows are not built.
    balanced = balance(
        dataset_inputs(config, data, train_index),
        labels[train_index],
        names,
        balancing,
        excluded_classes=tuple(str(c) for c in parts["excluded_classes"]),
    )
    before = np.bincount(labels[train_index], minlength=len(names))
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
