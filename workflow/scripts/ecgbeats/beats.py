"""Beats around R peaks: segmentation, per-beat normalisation, RR intervals.

`beats_from_signal` is the one code path from a raw lead to model-ready beats, used both for
the training data and for classifying new recordings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError

Normalisation = Literal["zscore", "minmax"]
NORMALISATIONS: tuple[str, ...] = ("zscore", "minmax")


@dataclass(frozen=True)
class BeatOptions:
    """The window cut around each R peak (samples before and after it) and its normalisation."""

    before: int
    after: int
    normalisation: Normalisation

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", int(self.before))
        object.__setattr__(self, "after", int(self.after))
        if self.before < 0 or self.after < 0 or self.before + self.after < 1:
            raise InputError(
                f"beat window of {self.before} samples before and {self.after} after the R peak: "
                "both must be >= 0 and the window at least one sample long"
            )
        if self.normalisation not in NORMALISATIONS:
            raise InputError(
                f"unknown beat normalisation {self.normalisation!r} ({' or '.join(NORMALISATIONS)})"
            )


@dataclass(frozen=True)
class BeatSet:
    """Beats kept after segmentation, with the positions and RR intervals of each."""

    beats: np.ndarray  # float32 (n, before + after)
    samples: np.ndarray  # int64 (n,) R-peak positions
    rr_previous: np.ndarray  # float32 (n,) seconds; 0 where undefined
    rr_next: np.ndarray  # float32 (n,) seconds; 0 where undefined
    kept: np.ndarray  # bool (m,) which of the input peaks were kept

    @property
    def edge_drops(self) -> int:
        return int((~self.kept).sum())


def window_fits(samples: np.ndarray, length: int, before: int, after: int) -> np.ndarray:
    """Which peaks have a full window [s - before, s + after) inside the signal."""
    samples = np.asarray(samples, dtype=np.int64)
    return (samples - before >= 0) & (samples + after <= length)


def segment(signal: np.ndarray, samples: np.ndarray, before: int, after: int) -> np.ndarray:
    """Windows [s - before, s + after) around each peak (all must fit; see window_fits)."""
    samples = np.asarray(samples, dtype=np.int64)
    if samples.size == 0:
        return np.empty((0, before + after), dtype=np.float32)
    offsets = np.arange(-before, after, dtype=np.int64)
    return np.asarray(signal)[samples[:, None] + offsets[None, :]]


def normalise(beats: np.ndarray, method: Normalisation) -> np.ndarray:
    """Per-beat normalisation (float32); a flat beat becomes all zeros instead of NaN."""
    beats = np.array(beats, dtype=np.float32)  # a copy: normalised in place below
    if method == "zscore":
        beats -= beats.mean(axis=1, keepdims=True)
        scale = np.sqrt(np.einsum("ij,ij->i", beats, beats) / max(beats.shape[1], 1))
    elif method == "minmax":
        beats -= beats.min(axis=1, keepdims=True)
        scale = beats.max(axis=1)
    else:
        raise InputError(f"unknown beat normalisation {method!r} ({' or '.join(NORMALISATIONS)})")
    flat = scale <= 1e-6
    beats /= np.where(flat, 1.0, scale)[:, None]
    beats[flat] = 0.0
    return beats


def rr_intervals(samples: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Previous and next RR interval of each peak in seconds (0 for the first / last)."""
    samples = np.asarray(samples, dtype=np.int64)
    gaps = np.diff(samples) / float(fs)
    previous = np.concatenate([[0.0], gaps]) if samples.size else np.empty(0)
    following = np.concatenate([gaps, [0.0]]) if samples.size else np.empty(0)
    return previous.astype(np.float32), following.astype(np.float32)


def beats_from_signal(
    signal: np.ndarray,
    fs: float,
    samples: np.ndarray,
    *,
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> BeatSet:
    """Denoise a lead, cut a window around each peak, normalise each beat.

    RR intervals are taken over all peaks before edge drops, so the neighbours of a dropped
    beat keep their true intervals.
    """
    samples = np.asarray(samples, dtype=np.int64)
    if samples.size and np.any(np.diff(samples) < 0):
        order = np.argsort(samples, kind="stable")
        raise InputError(f"beat positions are not sorted (first offender at index {order[0]})")
    clean = denoise(signal, denoising)
    rr_previous, rr_next = rr_intervals(samples, fs)
    kept = window_fits(samples, clean.size, window.before, window.after)
    beats = normalise(
        segment(clean, samples[kept], window.before, window.after), window.normalisation
    )
    return BeatSet(
        beats=beats,
        samples=samples[kept],
        rr_previous=rr_previous[kept],
        rr_next=rr_next[kept],
        kept=kept,
    )
