"""RR-interval features of each beat, relative to the patient's own rhythm.

Morphology alone does not separate a premature atrial beat (S) from a normal one: both have a
narrow QRS. What does is timing: an S beat comes early (short previous RR) and is followed by a
compensatory pause (long next RR), relative to the patient's own rate. The inter-patient
literature (de Chazal et al. 2004; Mondéjar-Guerra et al. 2019; Niu et al. 2020) therefore
feeds RR intervals and their ratios to the record's rhythm beside the beat.

All features come from the R-peak positions of one record (annotated or detected), computed by
:func:`rr_features` inside ``ecgbeats.beats.beats_from_signal``: the one code path for training,
evaluation and classification of new recordings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgbeats.atrial import p_wave_regularity
from ecgbeats.errors import InputError
from ecgbeats.windows import windowed_median

#: Column order of :func:`rr_features`; the model's config names the columns it takes.
RR_FEATURES: tuple[str, ...] = (
    "previous",  # seconds since the previous R peak
    "next",  # seconds to the next R peak
    "local",  # mean RR of the LOCAL_INTERVALS intervals around the beat (seconds)
    "record",  # the record's median RR (seconds): the patient's own rate
    "previous_to_record",  # previous / record: < 1 for a premature beat
    "next_to_record",  # next / record: > 1 for a compensatory pause
    "local_to_record",  # local / record: a run of fast or slow beats
    "previous_to_local",  # previous / local: premature relative to the current rate
    "next_to_previous",  # next / previous: the pause after a premature beat
    # Longer rhythm context: one interval further on each side, and how irregular the rhythm
    # around the beat is without the beat's own two intervals (a premature beat in a regular
    # rhythm stands out; in atrial fibrillation every beat is "early" or "late").
    "previous_2",  # seconds from the R peak two before to the one before
    "next_2",  # seconds from the next R peak to the one after it
    "local_irregularity",  # sd / mean of the LOCAL_INTERVALS intervals around, own two left out
    # Atrial fibrillation: the median relative change between successive intervals around the
    # beat (successive_irregularity), which isolated premature beats and pauses do not move.
    "irregularity",
    # Organised atrial activity: how alike the P waves of the beats around this one are
    # (ecgbeats.atrial.p_wave_regularity; low in fibrillation, high in sinus rhythm even with
    # frequent premature beats). Read from the lead, not the R peaks: NaN without one.
    "p_wave_regularity",
)

#: RR intervals averaged for the `local` feature: five before and five after the beat.
LOCAL_INTERVALS = 10

#: Intervals are clipped to this range (seconds) before use: gaps in the annotations (noise
#: segments left unannotated, missed detections) would otherwise give pauses of minutes.
RR_RANGE_S = (0.15, 3.0)


def clipped_intervals(samples: np.ndarray, fs: float) -> np.ndarray:
    """The RR intervals (seconds) between successive R peaks `samples` (sorted, at `fs` Hz),
    clipped to RR_RANGE_S as every RR feature uses them."""
    return np.clip(np.diff(samples) / float(fs), *RR_RANGE_S)


def rr_features(samples: np.ndarray, fs: float, lead: np.ndarray | None = None) -> np.ndarray:
    """RR features (n, len(RR_FEATURES)) float32 of the peaks at `samples` (sorted, at `fs` Hz;
    all the record's beats, so that the intervals are the true ones), with `lead` (the denoised
    signal the peaks lie in, at `fs`) for ``p_wave_regularity`` (NaN without it).

    Every beat gets every feature (``p_wave_regularity`` only with `lead`): the first beat's
    previous interval and the last beat's next one are the record's median RR (ratio 1, the
    patient's own rate). A record of one beat gets the median of the clipping range.
    """
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim != 1:
        raise InputError(f"rr_features: R-peak positions must be 1-D, got shape {samples.shape}")
    if not np.isfinite(fs) or fs <= 0:
        raise InputError(f"rr_features: sampling rate must be > 0, got {fs}")
    n = samples.size
    if n == 0:
        return np.zeros((0, len(RR_FEATURES)), dtype=np.float32)
    if np.any(np.diff(samples) < 0):
        raise InputError("rr_features: R-peak positions must be sorted")
    gaps = clipped_intervals(samples, fs)
    record = float(np.median(gaps)) if gaps.size else float(np.mean(RR_RANGE_S))
    previous = np.concatenate([[record], gaps])
    following = np.concatenate([gaps, [record]])
    local = _centred_mean(gaps, n, record)
    padded = np.concatenate([[record, record], gaps, [record, record]])
    columns = {
        "previous": previous,
        "next": following,
        "local": local,
        "record": np.full(n, record),
        "previous_to_record": previous / record,
        "next_to_record": following / record,
        "local_to_record": local / record,
        "previous_to_local": previous / local,
        "next_to_previous": following / previous,
        "previous_2": padded[:n],
        "next_2": padded[3 : n + 3],
        "local_irregularity": _background_variation(gaps, n),
        "irregularity": successive_irregularity(samples, fs),
        "p_wave_regularity": np.full(n, np.nan)
        if lead is None
        else p_wave_regularity(lead, samples, fs),
    }
    return np.stack([columns[name] for name in RR_FEATURES], axis=1).astype(np.float32)


def _centred_mean(gaps: np.ndarray, n: int, fill: float) -> np.ndarray:
    """Per beat, the mean of up to LOCAL_INTERVALS / 2 intervals before and as many after it.

    Beat i lies between interval i - 1 (its previous) and interval i (its next); beats near the
    ends average the intervals that exist. `fill` for a record with no interval.
    """
    if gaps.size == 0:
        return np.full(n, fill)
    cumulative = np.concatenate([[0.0], np.cumsum(gaps)])
    first, last = _local_window(gaps.size, n)
    return (cumulative[last] - cumulative[first]) / (last - first)


def _local_window(n_gaps: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per beat, the first and the exclusive last index of its LOCAL_INTERVALS / 2 intervals
    before and as many after (beat i lies between interval i - 1 and interval i)."""
    beat = np.arange(n)
    half = LOCAL_INTERVALS // 2
    return np.clip(beat - half, 0, n_gaps), np.clip(beat + half, 0, n_gaps)


def _background_variation(gaps: np.ndarray, n: int) -> np.ndarray:
    """Per beat, the coefficient of variation (sd / mean) of the intervals of its
    LOCAL_INTERVALS window (as in :func:`_centred_mean`) other than its own previous and next
    ones; 0 where fewer than two such intervals exist."""
    if gaps.size == 0:
        return np.zeros(n)
    beat = np.arange(n)
    first, last = _local_window(gaps.size, n)
    sums = np.concatenate([[0.0], np.cumsum(gaps)])
    squares = np.concatenate([[0.0], np.cumsum(gaps**2)])
    total, total_sq, count = sums[last] - sums[first], squares[last] - squares[first], last - first
    for own in (beat - 1, beat):  # the previous interval, the next one
        inside = (own >= first) & (own < last)
        value = gaps[np.clip(own, 0, gaps.size - 1)] * inside
        total, total_sq, count = total - value, total_sq - value**2, count - inside
    enough = count >= 2
    mean = np.where(enough, total / np.maximum(count, 1), 1.0)
    variance = np.where(enough, total_sq / np.maximum(count, 1) - mean**2, 0.0)
    return np.sqrt(np.maximum(variance, 0.0)) / mean


#: Successive differences on each side of a beat in :func:`successive_irregularity`.
IRREGULARITY_HALF_WINDOW = 15


def successive_irregularity(samples: np.ndarray, fs: float) -> np.ndarray:
    """Per beat (n,), how irregular the rhythm around it is, robustly: the median, over the
    IRREGULARITY_HALF_WINDOW successive differences of RR intervals on each side of the beat, of
    |RR(i+1) - RR(i)| / mean(RR(i), RR(i+1)) (intervals clipped to RR_RANGE_S).

    In atrial fibrillation every interval differs from the next, so the median is large; an
    isolated premature beat or pause moves two of the ~30 terms and leaves the median of a regular
    rhythm small (an sd, like ``local_irregularity``, is moved by them). 0 where a record has
    fewer than three beats."""
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim != 1 or np.any(np.diff(samples) < 0):
        raise InputError("successive_irregularity: R-peak positions must be sorted and 1-D")
    if not np.isfinite(fs) or fs <= 0:
        raise InputError(f"successive_irregularity: sampling rate must be > 0, got {fs}")
    n = samples.size
    gaps = clipped_intervals(samples, fs)
    if gaps.size < 2:
        return np.zeros(n)
    changes = np.abs(np.diff(gaps)) / ((gaps[1:] + gaps[:-1]) / 2)
    # Beat i lies between intervals i - 1 and i, i.e. at change i - 1 (the change across it).
    centre = np.clip(np.arange(n) - 1, 0, changes.size - 1)
    return windowed_median(changes, centre, IRREGULARITY_HALF_WINDOW)


def rhythm_at(
    beat_samples: np.ndarray, change_samples: np.ndarray, change_labels: Sequence[str], before: str
) -> np.ndarray:
    """The rhythm label (n,) in force at each beat: the label of the last rhythm change at or
    before it (`change_samples` sorted, with their `change_labels`, e.g. "(AFIB"), `before`
    ahead of the first change."""
    change_samples = np.asarray(change_samples, dtype=np.int64)
    if change_samples.size != len(change_labels) or np.any(np.diff(change_samples) < 0):
        raise InputError("rhythm changes must be sorted and have one label each")
    labels = np.asarray([before, *[str(label) for label in change_labels]], dtype=object)
    position = np.searchsorted(change_samples, np.asarray(beat_samples), side="right")
    return labels[position].astype(str)


def select_rr_features(features: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The columns `names` (of RR_FEATURES) of `features` (n, len(RR_FEATURES)), in that order."""
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[1] != len(RR_FEATURES):
        raise InputError(
            f"RR features must be shaped (n, {len(RR_FEATURES)}), got {features.shape}"
        )
    unknown = [name for name in names if name not in RR_FEATURES]
    if unknown:
        raise InputError(
            f"unknown RR feature(s) {', '.join(unknown)} (known: {', '.join(RR_FEATURES)})"
        )
    return features[:, [RR_FEATURES.index(name) for name in names]]
