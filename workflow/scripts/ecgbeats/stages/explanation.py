"""The SHAP stage: explanations of the CNN's logits for representative test beats and per class.

Writes everything the figures need (beats, values, class profiles, R-peak position) into one
npz, so that ecgbeats.stages.interpret_figures draws them without the model or the dataset.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgbeats import explanation
from ecgbeats.artifacts import PREDICTIONS, SHAP_VALUES, SPLIT, load_rows_of
from ecgbeats.errors import InputError
from ecgbeats.model import dataset_inputs, load_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShapOptions:
    """``explainer`` (deep or gradient); random training beats in the ``background``; up to
    ``misclassified`` confident mistakes in the grid; ``profile_beats`` random test beats per
    class for the profiles; ``gradient_samples`` per beat (gradient only); ``seed`` for all."""

    explainer: str
    background: int
    misclassified: int
    profile_beats: int
    gradient_samples: int
    seed: int


def explain_shap(
    dataset: str | Path,
    split_file: str | Path,
    predictions: str | Path,
    model: str | Path,
    values: str | Path,
    options: ShapOptions,
    r_peak: int,
) -> None:
    """SHAP values of the logits of the grid beats (each class's most confident correct beat,
    then the most confident mistakes) and each class's own logit on random beats of that class
    (profiles); `r_peak` is the R peak's sample in every beat, kept for the figures. With an RR
    branch, beats, values and profiles hold the model's whole input row (the beat, then the RR
    features named in the file's ``rr_features``)."""
    data, saved, names = load_rows_of(dataset, PREDICTIONS, predictions, ("index",))
    _, parts, _ = load_rows_of(dataset, SPLIT, split_file, ("train",), data=data)
    index, y_true, y_pred = saved["index"], saved["y_true"], saved["y_pred"]
    probabilities = saved["probabilities"]
    train = np.asarray(parts["train"], dtype=np.int64)
    if index.size == 0:
        raise InputError(f"{predictions}: no test beats to explain")
    network, _ = load_model(model, expected_class_names=names)
    method = options.explainer

    positions = explanation.background_positions(train.size, options.background, options.seed)
    background = train[positions]
    # The model's input rows (the beat, then its RR features, attributed like samples), built
    # for the background and explained beats only.
    background_inputs = dataset_inputs(network.config, data, background)
    logger.info("explainer %s, %d background beats, outputs: logits", method, background.size)

    # Grid: the most confident correct beat per class, then the most confident mistakes.
    selection = explanation.representative_beats(
        y_true, y_pred, probabilities, options.misclassified
    )
    grid_rows = index[selection.positions]
    grid_inputs = dataset_inputs(network.config, data, grid_rows)
    grid_values, expected = explanation.explain(
        network,
        background_inputs,
        grid_inputs,
        method=method,
        gradient_samples=options.gradient_samples,
        seed=options.seed,
    )
    grid_logits = explanation.model_outputs(network, grid_inputs)
    residual = explanation.check_additivity(method, grid_values, grid_logits, expected)

    # Profiles: each class's own output, explained on random test beats of that class.
    profile = explanation.profile_positions(y_true, options.profile_beats, options.seed)
    profile_rows = index[profile]
    profile_inputs = dataset_inputs(network.config, data, profile_rows)
    profile_values, _ = explanation.explain_own_class(
        network,
        background_inputs,
        profile_inputs,
        y_true[profile],
        method=method,
        gradient_samples=options.gradient_samples,
        seed=options.seed,
    )
    logger.info("profiles from %d test beats", profile.size)
    mean_abs, mean_beat, std_beat, counts = explanation.class_profiles(
        profile_values, profile_inputs, y_true[profile], len(names)
    )

    confidence = probabilities[selection.positions, y_pred[selection.positions]]
    SHAP_VALUES.save(
        values,
        class_names=np.asarray(names),
        explainer=np.asarray(method),
        output=np.asarray("logits"),
        expected_value=expected,
        background_index=background,
        grid_index=grid_rows,
        grid_role=selection.roles,
        grid_y_true=y_true[selection.positions],
        grid_y_pred=y_pred[selection.positions],
        grid_confidence=confidence.astype(np.float32),
        grid_logits=grid_logits.astype(np.float32),
        grid_beats=grid_inputs,
        grid_shap=grid_values,
        additivity_residual=residual.astype(np.float32),
        profile_index=profile_rows,
        profile_y_true=y_true[profile],
        profile_shap=profile_values,
        profile_mean_abs_shap=mean_abs,
        profile_mean_beat=mean_beat,
        profile_std_beat=std_beat,
        profile_counts=counts,
        r_peak=np.asarray(r_peak, dtype=np.int64),
        rr_features=np.asarray(network.config.rr_features, dtype=str),
        beat_reference=np.asarray(network.config.beat_reference),
    )
