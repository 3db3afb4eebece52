"""Preprocessing stage: rules preprocess_record (one record's beats) and summarise_beats.

The stage's figure (rule plot_denoising) is in ecgbeats.stages.preprocess_figures: a rule's
library inputs are all the modules its stage module imports, and no rule whose outputs others
read may depend on the plotting code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecgbeats.artifacts import RECORD_BEATS
from ecgbeats.beats import BeatOptions, beats_from_signal
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.records import (
    Recording,
    read_annotations_of,
    read_recording,
    read_rhythm_changes,
)
from ecgbeats.resampling import TARGET_FS, convert_positions
from ecgbeats.rhythm import rhythm_at

logger = logging.getLogger(__name__)


def preprocess_record(
    header: str | Path,
    beats: str | Path,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> int:
    """Denoised, segmented, normalised beats of the record whose header is `header` (its signal
    and annotation files next to it), written to `beats`; returns the number of beats kept.

    The record is read as for classification: the first of `leads` it has, at TARGET_FS.
    """
    record_path = Path(header).with_suffix("")
    recording = read_recording(record_path, leads, target_fs=TARGET_FS)
    samples, symbols = read_annotations_of(recording, record_path, "atr")
    return write_record_beats(
        beats, recording, record_path, "atr", samples, symbols, denoising=denoising, window=window
    )


def write_record_beats(
    beats: str | Path,
    recording: Recording,
    record_path: Path,
    extension: str,
    samples: np.ndarray,
    symbols: np.ndarray,
    *,
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> int:
    """The RECORD_BEATS file `beats` of `recording` (read from `record_path`): its beats at the
    annotated `samples` (its rate) with their MIT-BIH `symbols`, and the rhythm annotation of
    the annotation file `extension` in force at each. Returns the number of beats kept."""
    # The rhythm in force at each beat ("(N", "(AFIB", ...; "" before the first rhythm note).
    changes, rhythm_labels = read_rhythm_changes(record_path, extension)
    if recording.source_fs != recording.fs:
        changes = convert_positions(changes, recording.source_fs, recording.fs)
    beat_set = beats_from_signal(
        recording.signal,
        recording.fs,
        samples,
        denoising=denoising,
        window=window,
    )
    RECORD_BEATS.save(
        beats,
        beats=beat_set.beats,
        symbols=symbols[beat_set.kept],
        samples=beat_set.samples,
        rr_features=beat_set.rr_features,
        rhythms=rhythm_at(beat_set.samples, changes, rhythm_labels, before=""),
        median_beat=beat_set.median_beat,
        record=recording.record,
        lead=recording.lead,
        fs=recording.fs,
        source_fs=recording.source_fs,
        edge_drops=beat_set.edge_drops,
        dropped_symbols=symbols[~beat_set.kept],
    )
    logger.info(
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
    return int(beat_set.beats.shape[0])
