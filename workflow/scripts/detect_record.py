"""Snakemake glue: XQRS R peaks of one MIT-BIH record, matched to its beat annotations."""

from pathlib import Path

import numpy as np

from _common import logged
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection import (
    MATCH_WINDOW_S,
    DetectorOptions,
    detect_record_peaks,
    match_beats,
    sensitivity_ppv,
)
from ecgbeats.records import read_beat_annotations, read_recording

with logged(snakemake) as log:
    record_path = Path(snakemake.input.header).with_suffix("")
    recording = read_recording(record_path, snakemake.params.leads)
    reference, symbols = read_beat_annotations(record_path, "atr", length=recording.signal.size)
    detected = detect_record_peaks(
        recording.signal,
        recording.fs,
        record=recording.record,
        denoising=DenoisingOptions.from_mapping(snakemake.params.denoise),
        detector=DetectorOptions.from_mapping(snakemake.params.detector),
    )
    window = int(round(MATCH_WINDOW_S * recording.fs))
    reference_index, detected_index = match_beats(reference, detected, window)
    np.savez_compressed(
        snakemake.output.detections,
        detected=detected,
        reference=reference,
        symbols=symbols,
        reference_index=reference_index,
        detected_index=detected_index,
        window=np.array(window),
        fs=np.array(recording.fs),
        record=np.array(recording.record),
        lead=np.array(recording.lead),
    )
    tp = reference_index.size
    se, ppv = sensitivity_ppv(tp, detected.size - tp, reference.size - tp)
    log.info(
        "record %s: %d reference beats, %d detections, Se %.4f, +P %.4f",
        recording.record,
        reference.size,
        detected.size,
        se,
        ppv,
    )
