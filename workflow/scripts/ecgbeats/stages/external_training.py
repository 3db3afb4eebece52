"""Another database's records for the inter-patient models' training part (``train: true``):
rules preprocess_external_record (one record's beats, made as MIT-BIH's records' are) and
build_external_dataset (a task's dataset of them).

Apart from ecgbeats.stages.external: these rules run in the data environment and do not rerun
when the scoring code (the model, the metrics) changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.external import ExternalRecordOptions, read_external_record
from ecgbeats.stages.datasets import build_dataset
from ecgbeats.stages.preprocess import write_record_beats


def preprocess_external_record(
    header: str | Path,
    beats: str | Path,
    *,
    options: ExternalRecordOptions,
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> int:
    """The RECORD_BEATS file `beats` of the external record of `header`, made as
    preprocess_record makes MIT-BIH's (symbols in MIT-BIH's, rhythm notes from its annotation
    file); returns the beats kept."""
    recording, peaks, symbols = read_external_record(header, options)
    try:
        return write_record_beats(
            beats,
            recording,
            Path(header).with_suffix(""),
            options.annotation_extension,
            peaks,
            symbols,
            denoising=denoising,
            window=window,
        )
    except InputError as error:
        raise InputError(f"database {options.database}: {error}") from error


def build_external_dataset(
    beats: Sequence[str | Path],
    dataset: str | Path,
    counts: str | Path,
    database: str,
    task: str,
    class_map: Mapping[str, str],
) -> dict[str, int]:
    """The dataset of task `task` from a database's RECORD_BEATS files `beats` (its training
    beats for the inter-patient models): as build_dataset, except that a class may have no beats
    here (the MIT-BIH training records have it); none of the task's classes at all is refused."""
    summary = build_dataset(beats, dataset, counts, task, class_map, require_every_class=False)
    if not sum(summary.values()):
        raise InputError(
            f"database {database}: none of its beats is of a class of task {task} "
            f"({', '.join(summary)}); check its symbol map"
        )
    return summary
