"""From a recording to class probabilities per beat: the one code path of every stage that
classifies whole recordings (new recordings, external databases, the noise stress test, which
classifies only the test beats among them).

The beats are placed and cut by :func:`ecgbeats.inference.record_beats` (the training's
denoising, window and RR features) and each model takes them as it was trained to
(:func:`ecgbeats.model.predict_beats`: the beat, then the RR features its config names).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.inference import RecordBeats, record_beats
from ecgbeats.model import BeatCNN, predict_beats
from ecgbeats.records import Recording
from ecgbeats.rpeaks import DetectorOptions


def score_recording(
    recording: Recording,
    peaks: np.ndarray | None,
    networks: Sequence[BeatCNN],
    *,
    denoising: DenoisingOptions,
    window: BeatOptions,
    detector: DetectorOptions | None = None,
    only_at: np.ndarray | None = None,
) -> tuple[RecordBeats, list[np.ndarray]]:
    """The beats of `recording` (read at TARGET_FS; at `peaks`, else found by the `detector`)
    and, per model of `networks`, their class probabilities (beats, classes) float32.

    With `only_at` (sorted positions at TARGET_FS, each one of the beats placed), only those
    beats are classified, in that order; their RR features and the median beat still come from
    all of the recording's beats.
    """
    found = record_beats(recording, peaks, denoising=denoising, window=window, detector=detector)
    rows = slice(None) if only_at is None else _rows_at(found, only_at, recording.record)
    return found, [
        predict_beats(network, found.beats[rows], found.rr_features[rows], found.median_beat)
        for network in networks
    ]


def _rows_at(found: RecordBeats, positions: np.ndarray, record: str) -> np.ndarray:
    """Rows of `found` whose TARGET_FS positions are `positions` (sorted)."""
    rows = np.searchsorted(found.target_samples, positions)
    inside = rows < found.target_samples.size
    if not inside.all() or not np.array_equal(found.target_samples[rows], positions):
        raise InputError(
            f"record {record}: beats asked for are not among the beats placed in it (were they "
            "taken from another version of the record? rerun the workflow)"
        )
    return rows
