"""Organised atrial activity, read from the P waves of a record's beats.

In sinus rhythm, and around premature atrial beats, every beat is preceded by a P wave, and the
P waves of successive beats look alike. In atrial fibrillation there is no P wave: the stretch
before each QRS holds fibrillatory waves that differ from beat to beat. So how much the P-wave
stretches of the beats around a beat resemble each other says whether the atria are organised
there, independently of the RR intervals. An irregular rhythm with P waves (frequent premature
atrial beats, which make the intervals as irregular as fibrillation does) keeps a high value;
fibrillation gets a low one. The premature-beat decision's fibrillation gate reads it beside the
rhythm's irregularity (ecgbeats.prematurity).
"""

from __future__ import annotations

import numpy as np

from ecgbeats.errors import InputError
from ecgbeats.windows import windowed_median

#: The P-wave stretch: from this many seconds before the R peak to the second value (the PR
#: interval is 0.12-0.20 s and a P wave lasts up to 0.12 s).
P_WAVE_WINDOW_S = (0.25, 0.10)

#: Beats on each side whose P waves form a beat's reference, and whose resemblances to their
#: own references are summarised into the beat's regularity.
NEIGHBOURS = 10


def p_wave_stretches(signal: np.ndarray, samples: np.ndarray, fs: float) -> np.ndarray:
    """The P-wave stretch (n, m) before each R peak at `samples` (sorted) of a lead `signal` at
    `fs` Hz, each with its mean removed; samples beyond the signal's ends repeat its end values."""
    signal = np.asarray(signal, dtype=np.float64)
    samples = np.asarray(samples, dtype=np.int64)
    first = int(round(P_WAVE_WINDOW_S[0] * fs))
    last = int(round(P_WAVE_WINDOW_S[1] * fs))
    if signal.ndim != 1 or signal.size == 0 or first <= last:
        raise InputError(
            f"P waves need a non-empty 1-D lead sampled fast enough to hold them, got a lead "
            f"shaped {signal.shape} at {fs} Hz"
        )
    offsets = np.arange(-first, -last)
    stretch = signal[np.clip(samples[:, None] + offsets[None, :], 0, signal.size - 1)]
    return stretch - stretch.mean(axis=1, keepdims=True)


def p_wave_regularity(signal: np.ndarray, samples: np.ndarray, fs: float) -> np.ndarray:
    """Per R peak at `samples` (n,) (sorted: all of a record's beats) of a denoised lead `signal`
    at `fs` Hz, how alike the P waves around it are, from -1 to 1.

    Each beat's P-wave stretch is correlated with the sample-wise median of the stretches of
    NEIGHBOURS beats on each side (itself left out); the beat's regularity is the median of
    those correlations over its own NEIGHBOURS beats on each side. The beat's own P wave is left
    out of its own reference and of that median (it still takes part in its neighbours'
    references): a premature atrial beat's P wave differs from its neighbours' and lies on the
    previous T wave, yet the atria around it are organised. A record of fewer than two beats, and
    a flat stretch, get 0: on this scale that reads as unlike P waves (fibrillation-like), which a
    gate reading this feature should know of such records."""
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim != 1 or np.any(np.diff(samples) < 0):
        raise InputError("p_wave_regularity: R-peak positions must be sorted and 1-D")
    if samples.size < 2:
        return np.zeros(samples.size)
    stretch = p_wave_stretches(signal, samples, fs)
    beats = np.arange(samples.size)
    reference = windowed_median(stretch, beats, NEIGHBOURS, leave_out_centre=True)
    reference -= reference.mean(axis=1, keepdims=True)
    products = np.einsum("ij,ij->i", stretch, stretch) * np.einsum("ij,ij->i", reference, reference)
    norms = np.sqrt(products)
    similarity = np.where(
        norms > 1e-12, np.einsum("ij,ij->i", stretch, reference) / np.maximum(norms, 1e-12), 0.0
    )
    return windowed_median(similarity, beats, NEIGHBOURS, leave_out_centre=True)
