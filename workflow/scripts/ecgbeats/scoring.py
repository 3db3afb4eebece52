"""From a recording to class probabilities per beat: the one code path of the stages that
classify whole recordings (new recordings, external databases); the noise stress test calls its
two functions itself, to classify only the test beats.

The beats are placed and cut by :func:`ecgbeats.inference.record_beats` (the training's
denoising, window and RR features) and each model takes them as it was trained to
(:func:`ecgbeats.model.predict_beats`: the beat, then the RR features its config names).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
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
) -> tuple[RecordBeats, list[np.ndarray]]:
    """The beats of `recording` (read at TARGET_FS; at `peaks`, else found by the `detector`)
    and, per model of `networks`, their class probabilities (beats, classes) float32."""
    found = record_beats(recording, peaks, denoising=denoising, window=window, detector=detector)
    return found, [
        predict_beats(network, found.beats, found.rr_features, found.median_beat)
        for network in networks
    ]
