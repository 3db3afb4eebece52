"""Rule evaluate_detected_beats: the test metrics when the beats are placed by the R-peak
detector instead of the annotations (its own module, so that the detector's rules do not depend
on the model's code).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from ecgbeats.artifacts import DETECTIONS, SPLIT, load_rows_of, write_table
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detected_beats import (
    classify_at_detections,
    detected_beats_tables,
    detections_of_beats,
)
from ecgbeats.errors import InputError
from ecgbeats.model import load_model, predict_beats
from ecgbeats.records import read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


def evaluate_detected_beats(
    dataset: str | Path,
    split_file: str | Path,
    model: str | Path,
    detections: Sequence[str | Path],
    headers: Sequence[str | Path],
    *,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    window: BeatOptions,
    metrics: str | Path,
    per_record: str | Path,
) -> None:
    """Test-part metrics when the beats are placed by the detector instead of the annotations.

    Each test beat is matched (150 ms) to a detection of its record (`detections`, one file per
    record, named after it, like `headers`); the model classifies the beat cut around the
    detection and, for comparison, around the annotation. Writes the `metrics` TSV (rows per
    class, ``positions`` annotations / detector) and the `per_record` TSV, each with its HTML view.
    """
    data, parts, names = load_rows_of(dataset, SPLIT, split_file, ("test",))
    test = parts["test"]
    records = data["records"][test].astype(str)
    samples, labels = data["samples"][test], data["labels"][test]
    network, _ = load_model(model, names)
    predict = partial(predict_beats, network)
    found_in = {Path(d).stem: Path(d) for d in detections}
    record_paths = {Path(h).stem: Path(h).with_suffix("") for h in headers}

    results = []
    for record in sorted(set(records)):
        if record not in found_in or record not in record_paths:
            raise InputError(f"record {record} of {dataset}: no detections or header given")
        found = DETECTIONS.load(found_in[record])
        in_record = records == record
        try:
            at_detection = detections_of_beats(
                samples[in_record],
                found["reference"],
                found["detected"],
                found["reference_index"],
                found["detected_index"],
            )
        except InputError as error:
            raise InputError(
                f"record {record}: test beats of {dataset} are not among its annotations in "
                f"{found_in[record]} ({error})"
            ) from error
        # Dataset samples and detections are both at TARGET_FS, the rate of this recording.
        recording = read_recording(record_paths[record], leads, target_fs=TARGET_FS)
        results.append(
            classify_at_detections(
                recording,
                samples[in_record],
                labels[in_record],
                at_detection,
                reference=found["reference"],
                detected=found["detected"],
                denoising=denoising,
                window=window,
                predict=predict,
            )
        )
    metrics_table, per_record_table = detected_beats_tables(results, names)
    write_table(metrics, metrics_table, float_format="%.5f")
    write_table_view(metrics)
    write_table(per_record, per_record_table, float_format="%.5f")
    write_table_view(per_record)
    logger.info(
        "%d test beats: %d missed by the detector, %d dropped at edges, %d evaluated",
        per_record_table["test_beats"].sum(),
        per_record_table["missed_by_detector"].sum(),
        per_record_table["dropped_at_edges"].sum(),
        per_record_table["evaluated"].sum(),
    )
