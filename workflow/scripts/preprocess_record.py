"""Snakemake glue: one record -> denoised, segmented, normalised beats (npz)."""

from pathlib import Path

import numpy as np

from _common import logged
from ecgbeats.beats import beats_from_signal
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.records import read_beat_annotations, read_recording
from ecgbeats.resampling import TARGET_FS

with logged(snakemake) as log:
    record_path = Path(snakemake.input.header).with_suffix("")
    # The same reading as classification: the lead and its beat positions at TARGET_FS.
    recording = read_recording(record_path, snakemake.params.leads, target_fs=TARGET_FS)
    samples, symbols = read_beat_annotations(
        record_path,
        "atr",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    beat_set = beats_from_signal(
        recording.signal,
        recording.fs,
        samples,
        denoising=DenoisingOptions.from_mapping(snakemake.params.denoise),
        before=snakemake.params.beats["before"],
        after=snakemake.params.beats["after"],
        normalisation=snakemake.params.beats["normalisation"],
    )
    np.savez_compressed(
        snakemake.output.beats,
        beats=beat_set.beats,
        symbols=symbols[beat_set.kept],
        samples=beat_set.samples,
        rr_previous=beat_set.rr_previous,
        rr_next=beat_set.rr_next,
        record=np.array(recording.record),
        lead=np.array(recording.lead),
        fs=np.array(recording.fs),
        source_fs=np.array(recording.source_fs),
        edge_drops=np.array(beat_set.edge_drops),
        dropped_symbols=symbols[~beat_set.kept],
    )
    log.info(
        "record %s: lead %s at %g Hz (beats at %g Hz), %d annotated beats, %d kept, "
        "%d dropped at the edges",
        recording.record,
        recording.lead,
        recording.source_fs,
        recording.fs,
        samples.size,
        beat_set.beats.shape[0],
        beat_set.edge_drops,
    )
