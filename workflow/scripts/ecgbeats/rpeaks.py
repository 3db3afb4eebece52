"""R-peak detection: wfdb's XQRS on the raw lead, each peak then moved onto the denoised lead.

Recordings arrive at the training's rate, read by `read_recording(..., target_fs=TARGET_FS)`, so
the peaks found here are positions at TARGET_FS, like the annotated beats of the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from wfdb import processing

from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.records import Recording
from ecgbeats.resampling import TARGET_FS


@dataclass(frozen=True)
class DetectorOptions:
    """Peak correction after XQRS: move each detection to the local extremum nearby."""

    search_radius_s: float  # how far a detection may move, in seconds
    smooth_window_s: float  # window of the smoothing before the extremum is looked for

    def __post_init__(self) -> None:
        object.__setattr__(self, "search_radius_s", float(self.search_radius_s))
        object.__setattr__(self, "smooth_window_s", float(self.smooth_window_s))
        if not (self.search_radius_s > 0 and self.smooth_window_s > 0):
            raise InputError(
                f"R-peak correction: search radius {self.search_radius_s:g} s and smoothing "
                f"window {self.smooth_window_s:g} s must both be above 0"
            )


def require_target_rate(recording: Recording, caller: str) -> None:
    """Refuse a recording that was not brought to TARGET_FS by `read_recording`."""
    if recording.fs != TARGET_FS:
        raise ValueError(
            f"{caller}: record {recording.record} is at {recording.fs:g} Hz; read it with "
            f"read_recording(..., target_fs=TARGET_FS) ({TARGET_FS:g} Hz)"
        )


def correct_peaks(
    clean: np.ndarray, peaks: np.ndarray, fs: float, options: DetectorOptions
) -> np.ndarray:
    """Move each peak to the extremum of `clean` within the search radius (sorted, unique).

    Two peaks moved onto the same extremum are one beat.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size == 0:
        return peaks
    corrected = processing.correct_peaks(
        np.asarray(clean, dtype=np.float64),
        peak_inds=peaks,
        search_radius=max(1, int(round(options.search_radius_s * fs))),
        smooth_window_size=max(1, int(round(options.smooth_window_s * fs))),
    )
    return np.unique(np.asarray(corrected, dtype=np.int64))


def detect_r_peaks(
    signal: np.ndarray,
    clean: np.ndarray,
    fs: float,
    options: DetectorOptions,
) -> np.ndarray:
    """R-peak positions: wfdb's XQRS on the raw lead, corrected on the denoised lead.

    XQRS does its own band-pass filtering; the correction moves each detection to the
    extremum of the denoised lead (the signal the beats are cut from) within the search radius.
    """
    detector = processing.XQRS(sig=np.asarray(signal, dtype=np.float64), fs=fs)
    detector.detect(verbose=False)
    return correct_peaks(clean, np.asarray(detector.qrs_inds, dtype=np.int64), fs, options)


def detect_record_peaks(
    recording: Recording,
    *,
    denoising: DenoisingOptions,
    detector: DetectorOptions,
) -> np.ndarray:
    """R peaks of a whole lead read at TARGET_FS, as sample positions at TARGET_FS."""
    require_target_rate(recording, "detect_record_peaks")
    try:
        clean = denoise(recording.signal, denoising)
    except InputError as error:
        raise InputError(f"record {recording.record}: {error}") from error
    return detect_r_peaks(recording.signal, clean, TARGET_FS, detector)
