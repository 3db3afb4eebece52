"""Explaining every classified beat of a new recording: rule explain_classified_record.

The beats and their classes are those of rule classify_record (the same function places, cuts
and classifies them: ecgbeats.stages.classify.classified_recording); each beat's predicted-class
logit is attributed to its samples (and RR features) with SHAP against random training beats of
the model (ecgbeats.explanation). The `.pred` annotations and the beat table stay classify's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ecgbeats import explanation, plots
from ecgbeats.artifacts import CLASSIFIED_SHAP, SPLIT, load_rows_of, write_table
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.inference import strip_window
from ecgbeats.model import dataset_inputs, model_inputs
from ecgbeats.noise import QRS_HALF_WINDOW_S
from ecgbeats.rpeaks import DetectorOptions
from ecgbeats.stages.classify import ClassifyOptions, classified_recording
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeatExplanationOptions:
    """SHAP explainer (deep or gradient), training beats in its background, samples of the
    gradient explainer, how many least confident beats are marked, and the seed."""

    explainer: str
    background: int
    gradient_samples: int
    least_confident: int
    seed: int


def attribution_shares(values: np.ndarray, before: int, length: int, fs: float) -> pd.DataFrame:
    """Per beat, the share of its |SHAP| in the window before the QRS, in the QRS (within
    QRS_HALF_WINDOW_S of the R peak at sample `before`), after it, and in the RR features."""
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    half = int(round(QRS_HALF_WINDOW_S * fs))
    total = np.maximum(magnitude.sum(axis=1), 1e-12)
    parts = {
        "before_qrs": magnitude[:, : before - half],
        "qrs": magnitude[:, before - half : before + half + 1],
        "after_qrs": magnitude[:, before + half + 1 : length],
        "rr_features": magnitude[:, length:],
    }
    return pd.DataFrame({name: part.sum(axis=1) / total for name, part in parts.items()})


def explanation_summary(
    names: Sequence[str],
    predicted: np.ndarray,
    confidence: np.ndarray,
    shares: pd.DataFrame,
    least: np.ndarray,
) -> pd.DataFrame:
    """Per predicted class (then ``all``): beats, mean and lowest confidence, how many of the
    least confident beats, and the mean share of the attribution per part of the input."""
    rows = []
    groups = [(name, predicted == c) for c, name in enumerate(names)] + [
        ("all", np.ones(predicted.size, dtype=bool))
    ]
    marked = np.zeros(predicted.size, dtype=bool)
    marked[least] = True
    for name, members in groups:
        count = int(members.sum())
        rows.append(
            {
                "class": name,
                "beats": count,
                "mean_confidence": float(confidence[members].mean()) if count else np.nan,
                "lowest_confidence": float(confidence[members].min()) if count else np.nan,
                "least_confident": int((members & marked).sum()),
                **{
                    f"share_{p}": float(shares[p][members].mean()) if count else np.nan
                    for p in shares
                },
            }
        )
    return pd.DataFrame(rows)


def explain_classified_record(
    header: str | Path,
    model: str | Path,
    dataset: str | Path,
    split_file: str | Path,
    options: ClassifyOptions,
    explain: BeatExplanationOptions,
    *,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    window: BeatOptions,
    detector: DetectorOptions,
    shap_values: str | Path,
    summary: str | Path,
    strip: str | Path,
) -> None:
    """SHAP values of each beat's predicted class (`shap_values`), the per-class summary (TSV
    `summary` and its HTML view) and the strip of the options' window, each beat shaded by its
    attribution and the `least_confident` beats marked (PNG `strip`)."""
    classified = classified_recording(
        header, model, options, leads=leads, denoising=denoising, window=window, detector=detector
    )
    recording, found, network = classified.recording, classified.found, classified.network
    names, probabilities = classified.names, classified.probabilities
    data, parts, _ = load_rows_of(dataset, SPLIT, split_file, ("train",))
    train = np.asarray(parts["train"], dtype=np.int64)
    positions = explanation.background_positions(train.size, explain.background, explain.seed)
    background = dataset_inputs(network.config, data, train[positions])
    inputs = model_inputs(network.config, found.beats, found.rr_features, found.median_beat)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    values, expected = explanation.explain_own_class(
        network,
        background,
        inputs,
        predicted,
        explain.explainer,
        explain.gradient_samples,
        explain.seed,
    )
    outputs = explanation.model_outputs(explanation.prepare_for_shap(network), inputs)
    rows = np.arange(predicted.size)
    explanation.check_additivity(
        explain.explainer,
        values[:, :, None],
        outputs[rows, predicted][:, None],
        expected[predicted][:, None],
    )
    least = np.sort(np.argsort(confidence, kind="stable")[: explain.least_confident])
    CLASSIFIED_SHAP.save(
        shap_values,
        samples=found.samples,
        predicted=predicted,
        confidence=confidence,
        shap=values,
        class_names=np.asarray(names),
        expected_value=expected,
        least_confident=least,
        rr_features=np.asarray(network.config.rr_features, dtype=str),
        record=recording.record,
        explainer=explain.explainer,
        source_fs=recording.source_fs,
        r_peak=window.before,
    )
    length = window.before + window.after
    shares = attribution_shares(values, window.before, length, recording.fs)
    table = explanation_summary(names, predicted, confidence, shares, least)
    write_table(summary, table, float_format="%.4f")
    write_table_view(summary)

    shown = strip_window(
        found.signal.size,
        recording.fs,
        found.target_samples / recording.fs,
        options.strip_start_s,
        options.strip_seconds,
    )
    figure = plots.explained_strip(
        shown.time_s,
        found.signal[shown.shown],
        window.before,
        recording.fs,
        values[shown.beats, :length],
        found.target_samples[shown.beats] / recording.fs,
        predicted[shown.beats],
        confidence[shown.beats],
        np.isin(np.flatnonzero(shown.beats), least),
        names,
        f"record {recording.record}, lead {recording.lead}: SHAP of each beat's predicted class "
        f"(task {options.task}, {options.split} model)",
    )
    plots.save(figure, strip, dpi=120)
    logger.info(
        "record %s: %d beats explained (%s, %d background beats); least confident: %s",
        recording.record,
        predicted.size,
        explain.explainer,
        positions.size,
        ", ".join(f"{confidence[i]:.2f}" for i in least),
    )
