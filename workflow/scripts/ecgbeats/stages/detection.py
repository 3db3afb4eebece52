"""The R-peak detector on the MIT-BIH records: rules detect_record and evaluate_detector.

Detections, reference beats and the match window are all at TARGET_FS, like the dataset.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecgbeats.artifacts import DETECTIONS, write_table
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection_metrics import (
    detector_tables,
    match_beats,
    match_window,
    sensitivity_ppv,
)
from ecgbeats.records import read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.rpeaks import DetectorOptions, detect_record_peaks
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


def detect_record(
    header: str | Path,
    *,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    detector: DetectorOptions,
    detections: str | Path,
) -> None:
    """The R peaks (detector `detector.method`) of one MIT-BIH record (`header` and its .dat,
    .atr), matched to its beat annotations: written to `detections` (artifacts.DETECTIONS)."""
    record_path = Path(header).with_suffix("")
    recording = read_recording(record_path, leads, target_fs=TARGET_FS)
    reference, symbols = read_annotations_of(recording, record_path, "atr")
    detected = detect_record_peaks(recording, denoising=denoising, detector=detector)
    window = match_window(recording.fs)
    reference_index, detected_index = match_beats(reference, detected, window)
    DETECTIONS.save(
        detections,
        detected=detected,
        reference=reference,
        symbols=symbols,
        reference_index=reference_index,
        detected_index=detected_index,
        window=window,
        fs=recording.fs,
        source_fs=recording.source_fs,
        record=recording.record,
        lead=recording.lead,
    )
    tp = reference_index.size
    se, ppv = sensitivity_ppv(tp, detected.size - tp, reference.size - tp)
    logger.info(
        "record %s: %d reference beats, %d detections, Se %.4f, +P %.4f",
        recording.record,
        reference.size,
        detected.size,
        se,
        ppv,
    )


def evaluate_detector(
    detections: Sequence[str | Path], *, gross: str | Path, per_record: str | Path
) -> None:
    """Per-record and gross Se / +P (AAMI EC57, 150 ms) of the detections: two TSV files, each
    with its HTML view."""
    records, n_reference, n_detected, n_matched = [], [], [], []
    for path in detections:
        found = DETECTIONS.load(path)
        records.append(str(found["record"]))
        n_reference.append(found["reference"].size)
        n_detected.append(found["detected"].size)
        n_matched.append(found["reference_index"].size)
    per_record_table, gross_table = detector_tables(
        records, np.array(n_reference), np.array(n_detected), np.array(n_matched)
    )
    write_table(per_record, per_record_table, float_format="%.5f")
    write_table_view(per_record)
    write_table(gross, gross_table, float_format="%.5f")
    write_table_view(gross)
    row = gross_table.iloc[0]
    logger.info(
        "gross over %d records: Se %.4f, +P %.4f (TP %d, FP %d, FN %d)",
        row["records"],
        row["sensitivity"],
        row["positive_predictivity"],
        row["tp"],
        row["fp"],
        row["fn"],
    )
