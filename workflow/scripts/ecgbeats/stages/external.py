"""External databases: rules score_external_record (one record, every configured model) and
evaluate_external (one database and model: the test metrics' tables).

A record of another database takes the training's code path: read at any rate and resampled to
TARGET_FS, its lead chosen from the database's own preferred leads, denoised, cut around its
annotated beats with their RR features (ecgbeats.scoring), then classified by each model. Its
figure (rule plot_external) is in ecgbeats.stages.external_figures.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgbeats import metrics
from ecgbeats.artifacts import EXTERNAL_PREDICTIONS, EXTERNAL_SCORES, class_names, write_table
from ecgbeats.beats import BeatOptions
from ecgbeats.classes import class_names as task_class_names
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.external import (
    ExternalRecordOptions,
    ScoredRecord,
    external_tables,
    read_external_record,
)
from ecgbeats.model import load_model
from ecgbeats.scoring import score_recording
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


def score_external_record(
    header: str | Path,
    models: Sequence[str | Path],
    scores: Sequence[str | Path],
    *,
    options: ExternalRecordOptions,
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> int:
    """Score the annotated beats of the record of `header` with each of `models`, writing one
    EXTERNAL_SCORES file per model (`scores`, in the order of `models`); returns the beats."""
    if len(models) != len(scores):
        raise ValueError("score_external_record: one scores file per model")
    database = options.database
    recording, peaks, symbols = read_external_record(header, options)
    networks, names = [], []
    for model in models:
        network, model_names = load_model(model)
        networks.append(network)
        names.append(model_names)
    try:
        found, probabilities = score_recording(
            recording, peaks, networks, denoising=denoising, window=window
        )
    except InputError as error:
        raise InputError(f"database {database}: {error}") from error
    for path, model_names, scored in zip(scores, names, probabilities, strict=True):
        EXTERNAL_SCORES.save(
            path,
            samples=found.samples,
            symbols=symbols[found.kept],
            probabilities=scored,
            class_names=np.asarray(model_names),
            record=recording.record,
            lead=recording.lead,
            database=database,
            source_fs=recording.source_fs,
            edge_drops=int((~found.kept).sum()),
        )
    logger.info(
        "database %s, record %s: lead %s at %g Hz, %d annotated beats, %d scored by %d model(s)",
        database,
        recording.record,
        recording.lead,
        recording.source_fs,
        peaks.size,
        found.samples.size,
        len(models),
    )
    return int(found.samples.size)


@dataclass(frozen=True)
class ExternalOptions:
    """Which database and model a table is about (for its messages) and the task's classes."""

    database: str
    data_dir: str
    annotation_extension: str
    task: str
    class_map: Mapping[str, str]


def evaluate_external(
    scores: Sequence[str | Path],
    metrics_table: str | Path,
    per_record: str | Path,
    predictions: str | Path,
    options: ExternalOptions,
) -> None:
    """The metrics of one model on one database's beats of the task's classes (the columns and
    rows of the test metrics), the per-record table (each with its HTML view) and the
    predictions (EXTERNAL_PREDICTIONS, for the EC57 table and the confusion matrix)."""
    database, task = options.database, options.task
    if not scores:
        raise InputError(
            f"database {database}: no record with a header and an annotation file "
            f"(.{options.annotation_extension}) in {options.data_dir}"
        )
    names = task_class_names(options.class_map)
    scored, records, samples = [], [], []
    for path in scores:
        arrays = EXTERNAL_SCORES.load(path)
        if class_names(arrays) != names:
            raise InputError(
                f"{path}: classes {class_names(arrays)} differ from task {task}'s {names}"
            )
        item = ScoredRecord(
            record=str(arrays["record"]),
            lead=str(arrays["lead"]),
            source_fs=float(arrays["source_fs"]),
            symbols=arrays["symbols"].astype(str),
            probabilities=arrays["probabilities"],
            edge_drops=int(arrays["edge_drops"]),
        )
        scored.append(item)
        records.append(np.full(item.symbols.size, item.record))
        samples.append(arrays["samples"])
    in_task, y_true, probabilities, per_record_table = external_tables(scored, options.class_map)
    if y_true.size == 0:
        raise InputError(
            f"database {database}: none of its beats is of a class of task {task} "
            f"({', '.join(names)}); check its symbol map"
        )
    table = metrics.classification_table(y_true, probabilities, names)
    write_table(metrics_table, table, float_format="%.6f")
    write_table_view(metrics_table)
    write_table(per_record, per_record_table, float_format="%.6f")
    write_table_view(per_record)
    EXTERNAL_PREDICTIONS.save(
        predictions,
        index=np.flatnonzero(in_task),
        y_true=y_true,
        y_pred=probabilities.argmax(axis=1).astype(np.int64),
        probabilities=probabilities.astype(np.float32),
        class_names=np.asarray(names),
        records=np.concatenate(records)[in_task],
        samples=np.concatenate(samples)[in_task],
    )
    logger.info(
        "database %s, task %s: %d records, %d beats of the task's classes; metrics:\n%s",
        database,
        task,
        len(scored),
        y_true.size,
        table.drop(columns="note").to_string(index=False),
    )
