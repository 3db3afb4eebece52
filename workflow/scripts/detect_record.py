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
from ecgbeats.resampling import TARGET_FS

with logged(snakemake) as log:
    record_path = Path(snakemake.input.header).with_suffix("")
    # Detections, reference beats and the match window are all at TARGET_FS, like the dataset.
    recording = read_recording(record_path, snakemake.params.leads, target_fs=TARGET_FS)
    reference, symbols = read_beat_annotations(
        record_path,
        "atr",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    detected = detect_record_peaks(
        recording,
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
        source_fs=np.array(recording.source_fs),
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
