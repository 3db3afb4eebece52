"""Beats of a new recording, cut like the training data, and the table of their predicted classes.

Recordings arrive at the training's rate, read by `read_recording(..., target_fs=TARGET_FS)`, and
the beats come from `ecgbeats.beats.beats_from_signal`: both are the code path of training, so
this module only places the beats (given positions or the R-peak detector) and maps positions
back to a recording's own rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecgbeats.beats import BeatOptions, beats_from_signal
from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.records import Recording
from ecgbeats.resampling import TARGET_FS, convert_positions
from ecgbeats.rpeaks import DetectorOptions, detect_r_peaks, require_target_rate


@dataclass(frozen=True)
class RecordBeats:
    """Model-ready beats of one recording and where they are in it."""

    beats: np.ndarray  # float32 (n, before + after), cut at TARGET_FS
    rr_features: np.ndarray  # float32 (n, len(ecgbeats.rhythm.RR_FEATURES)), over all peaks
    median_beat: np.ndarray  # float32 (before + after,) the recording's median beat
    samples: np.ndarray  # int64 (n,) R-peak positions at the recording's own (header) rate
    target_samples: np.ndarray  # int64 (n,) the same positions at TARGET_FS
    source: str  # "annotations" (positions given) or "detector"
    kept: np.ndarray  # bool, per given or detected peak: its window fits in the record
    signal: np.ndarray  # float64 lead at TARGET_FS (for plots)


def record_beats(
    recording: Recording,
    peaks: np.ndarray | None,
    *,
    denoising: DenoisingOptions,
    window: BeatOptions,
    detector: DetectorOptions | None = None,
) -> RecordBeats:
    """Place the beats of a recording read at TARGET_FS and cut them like the training data.

    Beats are placed at `peaks` (sorted sample positions at TARGET_FS: annotations read with
    `read_annotations_of(recording, ...)`, or detections made earlier) when given, else found by
    the R-peak detector of the `detector` options. Beats whose window leaves the record are
    dropped, as in training.
    """
    require_target_rate(recording, "record_beats")
    record, signal = recording.record, recording.signal
    length = window.before + window.after
    if signal.size < length:
        raise InputError(
            f"record {record}: too short for one beat ({signal.size} samples at "
            f"{TARGET_FS:g} Hz, a beat window needs {length})"
        )
    try:
        if peaks is None:
            if detector is None:
                raise ValueError("record_beats: give the peaks or the detector options")
            clean = denoise(signal, denoising)
            positions = detect_r_peaks(signal, clean, TARGET_FS, detector)
            source = "detector"
        else:
            positions = np.asarray(peaks, dtype=np.int64)
            source = "annotations"
        beat_set = beats_from_signal(
            signal,
            TARGET_FS,
            positions,
            denoising=denoising,
            window=window,
        )
    except InputError as error:
        raise InputError(f"record {record}: {error}") from error
    if beat_set.samples.size == 0:
        raise InputError(
            f"record {record}: no complete beat window ({window.before} + {window.after} samples "
            f"at {TARGET_FS:g} Hz) around any of its {positions.size} beats from the {source}"
        )
    return RecordBeats(
        beats=beat_set.beats,
        rr_features=beat_set.rr_features,
        median_beat=beat_set.median_beat,
        samples=convert_positions(beat_set.samples, TARGET_FS, recording.source_fs),
        target_samples=beat_set.samples,
        source=source,
        kept=beat_set.kept,
        signal=signal,
    )


def prediction_table(
    samples: np.ndarray,
    fs: float,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    symbols: Sequence[str],
) -> pd.DataFrame:
    """One row per beat: sample, time_s, predicted class, its MIT-BIH symbol, p_<class> each."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    samples = np.asarray(samples, dtype=np.int64)
    if probabilities.shape != (samples.size, len(class_names)):
        raise InputError(
            f"probabilities shaped {probabilities.shape}, expected ({samples.size}, "
            f"{len(class_names)}) for the beats and classes {list(class_names)}"
        )
    predicted = probabilities.argmax(axis=1)
    table = pd.DataFrame(
        {
            "sample": samples,
            "time_s": samples / float(fs),
            "class": np.asarray(class_names, dtype=object)[predicted],
            "symbol": np.asarray(symbols, dtype=object)[predicted],
        }
    )
    for index, name in enumerate(class_names):
        table[f"p_{name}"] = probabilities[:, index]
    return table


@dataclass(frozen=True)
class StripWindow:
    """The stretch of a lead a strip plot shows, and the beats inside it."""

    shown: np.ndarray  # bool per sample of the lead: inside the stretch
    time_s: np.ndarray  # float, the times of the shown samples in seconds
    beats: np.ndarray  # bool per beat: its time lies within the shown samples' times
    moved: bool  # the asked start lay after the record's end: the strip shows its start


def strip_window(
    n_samples: int, fs: float, beat_times_s: np.ndarray, start_s: float, seconds: float
) -> StripWindow:
    """Samples in [start_s, start_s + seconds) of a lead of `n_samples` at `fs`, and its beats.

    A start after the record's end shows the record's first `seconds` instead (`moved`).
    """
    time_s = np.arange(int(n_samples)) / float(fs)
    shown = (time_s >= start_s) & (time_s < start_s + seconds)
    moved = not shown.any()
    if moved:
        shown = time_s < seconds
    beat_times_s = np.asarray(beat_times_s, dtype=np.float64)
    times = time_s[shown]
    if times.size == 0:
        return StripWindow(shown, times, np.zeros(beat_times_s.size, dtype=bool), moved)
    in_window = (beat_times_s >= times[0]) & (beat_times_s <= times[-1])
    return StripWindow(shown, times, in_window, moved)
