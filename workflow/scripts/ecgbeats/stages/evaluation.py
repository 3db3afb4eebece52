"""Evaluation stages: a trained model on its test part once, the comparison with the paper, and
the summary over training seeds.

Their figures are drawn by ecgbeats.stages.evaluation_figures from what these write, so that
editing plotting code reruns no evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgbeats import intervals, metrics
from ecgbeats.artifacts import PREDICTIONS, SPLIT, load_rows_of, write_table
from ecgbeats.errors import InputError
from ecgbeats.model import dataset_inputs, load_model, predict_proba
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationOptions:
    """Beats per forward pass, and the device (``auto``, ``cpu``, ``cuda``) that runs them."""

    batch_size: int
    device: str


def evaluate_model(
    dataset: str | Path,
    split_file: str | Path,
    model: str | Path,
    metrics_table: str | Path,
    predictions: str | Path,
    options: EvaluationOptions,
) -> None:
    """Predict the test part of `split_file` with `model`; write the per-class metrics table (and
    its HTML view) and the predictions (index, y_true, y_pred, probabilities, class_names)."""
    data, parts, names = load_rows_of(dataset, SPLIT, split_file, ("test",))
    test = np.asarray(parts["test"], dtype=np.int64)
    if test.size == 0:
        raise InputError(f"{split_file}: the test part is empty")

    network, _ = load_model(model, expected_class_names=names, device=options.device)
    probabilities = predict_proba(
        network,
        dataset_inputs(network.config, data, test),
        batch_size=options.batch_size,
        device=options.device,
        rr_features=data["rr_features"][test],
    )
    y_true = data["labels"][test].astype(np.int64)
    y_pred = probabilities.argmax(axis=1).astype(np.int64)
    logger.info(
        "%s: %d test beats, overall accuracy %.4f",
        split_file,
        test.size,
        float(np.mean(y_true == y_pred)),
    )
    table = metrics.classification_table(y_true, probabilities, names)
    write_table(metrics_table, table, float_format="%.6f")
    write_table_view(metrics_table)
    logger.info("metrics:\n%s", table.drop(columns="note").to_string(index=False))
    PREDICTIONS.save(
        predictions,
        index=test,
        y_true=y_true,
        y_pred=y_pred,
        probabilities=probabilities.astype(np.float32),
        class_names=np.asarray(names),
    )


def compare_with_paper(
    metrics_table: str | Path, paper: str | Path, comparison: str | Path
) -> None:
    """Our test metrics beside the paper's table (`paper`) with the differences, ours minus the
    paper's; NaN where the paper reports no value. Writes the TSV `comparison` and its HTML view."""
    table = metrics.compare_with_paper(
        metrics.read_metrics_table(metrics_table), metrics.read_paper_table(str(paper))
    )
    write_table(comparison, table, float_format="%.4f")
    write_table_view(comparison)
    reported = int(table.filter(like="_paper").notna().to_numpy().sum())
    logger.info("%d paper values compared; table:\n%s", reported, table.to_string(index=False))


@dataclass(frozen=True)
class BootstrapOptions:
    """Replicates of the percentile bootstrap over test records, and its seed."""

    replicates: int
    seed: int


def summarise_seeds(
    dataset: str | Path,
    predictions: Sequence[str | Path],
    summary: str | Path,
    seeds: Sequence[int],
    bootstrap: BootstrapOptions,
) -> None:
    """Per-class Se, +P, F1 and overall accuracy and macro-F1 over the models of `seeds` (their
    test predictions, one file each, in the same order): mean ± sd over seeds and 95 % bootstrap
    intervals over the test records (ecgbeats.intervals). Writes the TSV `summary` and its view.
    """
    if len(predictions) != len(seeds):
        raise InputError(f"{len(predictions)} prediction files for {len(seeds)} seeds")
    data = None
    confusions = []
    index = None
    names: list[str] = []
    for path in predictions:
        data, saved, names = load_rows_of(dataset, PREDICTIONS, path, ("index",), data=data)
        if index is not None and not np.array_equal(saved["index"], index):
            raise InputError(f"{path}: not the test beats of {predictions[0]} (rerun both)")
        index = saved["index"]
        _, per_record = intervals.record_confusions(
            data["records"][index], saved["y_true"], saved["y_pred"], len(names)
        )
        confusions.append(per_record)
    table = intervals.seed_summary(
        np.stack(confusions), names, seeds, bootstrap.replicates, bootstrap.seed
    )
    write_table(summary, table, float_format="%.4f")
    write_table_view(summary)
    records = np.unique(data["records"][index]).size
    logger.info(
        "%d seeds, %d test records, %d bootstrap replicates:\n%s",
        len(seeds),
        records,
        bootstrap.replicates,
        table.to_string(index=False),
    )
