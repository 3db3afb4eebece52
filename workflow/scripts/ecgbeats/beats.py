"""Beats around R peaks: segmentation, per-beat normalisation, and each beat's RR features.

`beats_from_signal` is the one code path from a raw lead to model-ready beats, used both for
the training data and for classifying new recordings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.rhythm import rr_features

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
    """Beats kept after segmentation, with the position and RR features of each."""

    beats: np.ndarray  # float32 (n, before + after)
    samples: np.ndarray  # int64 (n,) R-peak positions
    rr_features: np.ndarray  # float32 (n, len(ecgbeats.rhythm.RR_FEATURES))
    median_beat: np.ndarray  # float32 (before + after,) the record's median beat (see below)
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


def beats_from_signal(
    signal: np.ndarray,
    fs: float,
    samples: np.ndarray,
    *,
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> BeatSet:
    """Denoise a lead, cut a window around each peak, normalise each beat.

    RR features (ecgbeats.rhythm) are taken over all peaks before edge drops, so the neighbours
    of a dropped beat keep their true intervals. The record's median beat (sample by sample over
    its normalised beats) is the patient's typical beat: a model may take each beat relative to
    it (ecgbeats.model, ``beat_reference``).
    """
    samples = np.asarray(samples, dtype=np.int64)
    if samples.size and np.any(np.diff(samples) < 0):
        order = np.argsort(samples, kind="stable")
        raise InputError(f"beat positions are not sorted (first offender at index {order[0]})")
    clean = denoise(signal, denoising)
    rhythm = rr_features(samples, fs, clean)
    kept = window_fits(samples, clean.size, window.before, window.after)
    beats = normalise(
        segment(clean, samples[kept], window.before, window.after), window.normalisation
    )
    return BeatSet(
        beats=beats,
        samples=samples[kept],
        rr_features=rhythm[kept],
        median_beat=median_beat(beats),
        kept=kept,
    )


def median_beat(beats: np.ndarray) -> np.ndarray:
    """Sample-wise median (float32, length L) of a record's beats (n, L); zeros without beats."""
    beats = np.asarray(beats, dtype=np.float32)
    if beats.shape[0] == 0:
        return np.zeros(beats.shape[1], dtype=np.float32)
    return np.median(beats, axis=0).astype(np.float32)
