"""R-peak detection on the lead read at 360 Hz: four detectors, chosen by `DetectorOptions.method`.

- `gradient`: NeuroKit2's gradient QRS detector, vectorised here, with two changes measured on
  MIT-BIH (see `gradient_peaks`); on the denoised lead. Its peaks sit on the R extremum already.
- `xqrs`: wfdb's XQRS on the raw lead (it filters the lead itself).
- `sleepecg`: sleepecg's `detect_heartbeats` (Pan-Tompkins with adaptive thresholds) on the raw
  lead (it band-passes the lead itself).
- `neurokit2`: NeuroKit2's `ecg_findpeaks` (method "neurokit") on the denoised lead, which
  measured better than NeuroKit2's own cleaning of the raw lead.

The peaks of xqrs, sleepecg and neurokit2 are then moved onto the extremum of the denoised lead
(`correct_peaks`), which aligns them with the annotated R peaks that the classifier was trained
on; the gradient detector's are not, because the correction only moves them away from it.
benchmarks/bench_detectors.py measures all of this on MIT-BIH.

Recordings arrive at the training's rate, read by `read_recording(..., target_fs=TARGET_FS)`, so
the peaks found here are positions at TARGET_FS, like the annotated beats of the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from wfdb import processing

from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.records import Recording
from ecgbeats.resampling import TARGET_FS

#: The detectors `DetectorOptions.method` can name.
DETECTOR_METHODS: tuple[str, ...] = ("gradient", "xqrs", "sleepecg", "neurokit2")
#: Detectors whose peaks are moved onto the extremum of the denoised lead afterwards.
CORRECTED_METHODS: frozenset[str] = frozenset({"xqrs", "sleepecg", "neurokit2"})
#: A lead shorter than this, or constant, holds no beat to detect.
MIN_LEAD_S = 1.0

# The gradient detector: NeuroKit2's constants (ecg_findpeaks, method "neurokit")...
GRADIENT_SMOOTH_S = 0.1  # boxcar smoothing of |gradient|
GRADIENT_AVERAGE_S = 0.75  # boxcar average of the smoothed |gradient|: the threshold's base
GRADIENT_THRESHOLD = 1.5  # a QRS complex is where the smoothed gradient exceeds 1.5 x its average
GRADIENT_MIN_LENGTH = 0.4  # complexes shorter than 0.4 x the mean complex length are dropped
GRADIENT_MIN_RR_S = 0.3  # a peak within 0.3 s after the last kept one is dropped
# ... and the added amplitude check: a complex whose peak smoothed gradient is below 0.3 x the
# median of its neighbours' (8 on each side) is a P or T wave or noise, not a QRS complex.
GRADIENT_MIN_STRENGTH = 0.3
GRADIENT_NEIGHBOURS = 8


@dataclass(frozen=True)
class DetectorOptions:
    """Which R-peak detector runs, and the peak correction after xqrs, sleepecg and neurokit2."""

    search_radius_s: float  # how far the correction may move a detection, in seconds
    smooth_window_s: float  # window of the smoothing before the extremum is looked for
    method: str  # one of DETECTOR_METHODS (config: classify.detector.method)

    def __post_init__(self) -> None:
        object.__setattr__(self, "search_radius_s", float(self.search_radius_s))
        object.__setattr__(self, "smooth_window_s", float(self.smooth_window_s))
        if not (self.search_radius_s > 0 and self.smooth_window_s > 0):
            raise InputError(
                f"R-peak correction: search radius {self.search_radius_s:g} s and smoothing "
                f"window {self.smooth_window_s:g} s must both be above 0"
            )
        if self.method not in DETECTOR_METHODS:
            raise InputError(
                f"R-peak detector {self.method!r}: unknown; one of {', '.join(DETECTOR_METHODS)}"
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

    wfdb's `processing.correct_peaks` (peak_dir "compare"), vectorised: the lead minus its
    moving average over the smoothing window; each peak moves to the maximum of that within
    [peak - radius, peak + radius), or each to the minimum, whichever direction has the larger
    mean |deviation| over all peaks. Unlike wfdb, peaks within the radius of the start stay in
    the lead (wfdb moves them up to twice the radius too far back). Two peaks moved onto the
    same extremum are one beat.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size == 0:
        return peaks
    clean = np.asarray(clean, dtype=np.float64)
    n = clean.size
    radius = max(1, int(round(options.search_radius_s * fs)))
    window = max(1, int(round(options.smooth_window_s * fs)))
    sums = np.zeros(n + 1)
    np.cumsum(clean, out=sums[1:])

    def deviation(positions: np.ndarray) -> np.ndarray:
        """clean - np.convolve(clean, ones(window) / window, mode="same") at `positions`."""
        high = np.minimum(positions + (window - 1) // 2 + 1, n)
        low = np.maximum(positions - window // 2, 0)
        return clean[positions] - (sums[high] - sums[low]) / window

    up = np.empty_like(peaks)
    down = np.empty_like(peaks)
    offsets = np.arange(2 * radius)
    for block in range(0, peaks.size, 4096):  # bounded memory on day-long recordings
        part = slice(block, block + 4096)
        start = np.maximum(peaks[part] - radius, 0)
        stop = np.minimum(peaks[part] + radius, n - 1)
        positions = start[:, None] + offsets
        outside = positions >= stop[:, None]
        values = deviation(np.minimum(positions, n - 1))
        up[part] = start + np.argmax(np.where(outside, -np.inf, values), axis=1)
        down[part] = start + np.argmin(np.where(outside, np.inf, values), axis=1)
    if np.abs(deviation(up)).mean() >= np.abs(deviation(down)).mean():
        return np.unique(up)
    return np.unique(down)


def moving_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Mean over `size` samples around each sample, edges repeated: scipy.ndimage's
    `uniform_filter1d(values, size, mode="nearest")`, from one cumulative sum (twice as fast),
    summed in float64 whatever the dtype of `values`."""
    values = np.asarray(values)
    n, left = values.size, size // 2
    sums = np.empty(n + size)
    sums[0] = 0.0
    sums[1 : left + 1] = values[0]
    sums[left + 1 : left + 1 + n] = values
    sums[left + 1 + n :] = values[-1]
    np.cumsum(sums[1:], out=sums[1:])
    means = sums[size:] - sums[:n]
    means /= size
    return means


def gradient_peaks(
    clean: np.ndarray, fs: float, *, min_strength: float = GRADIENT_MIN_STRENGTH
) -> np.ndarray:
    """R peaks of a denoised lead: NeuroKit2's gradient detector, vectorised, with two changes.

    As NeuroKit2 (`ecg_findpeaks`, method "neurokit"): QRS complexes are the runs where the
    |gradient|, smoothed over 0.1 s, exceeds 1.5 x its 0.75 s average; runs shorter than 0.4 x
    the mean run are dropped, and a peak within 0.3 s after the last kept one is dropped.
    Changed, by measurement on MIT-BIH (benchmarks/bench_detectors.py): each complex's peak is
    its interior local extremum farthest from the complex's mean, of either sign (NeuroKit2
    takes the most prominent local maximum, and loses complexes that have none: negative ones),
    and a complex whose smoothed-gradient peak is below 0.3 x the median of its neighbours' is
    dropped (P and T waves that crossed the threshold between distant beats). `min_strength` 0
    turns that check off (benchmarks/bench_detectors.py measures it).
    """
    clean = np.asarray(clean)
    if not np.issubdtype(clean.dtype, np.floating):
        clean = clean.astype(np.float64)
    empty = np.empty(0, dtype=np.int64)
    slope = np.gradient(clean)
    np.abs(slope, out=slope)
    smooth = moving_mean(slope, max(1, int(round(GRADIENT_SMOOTH_S * fs))))
    threshold = moving_mean(smooth, max(1, int(round(GRADIENT_AVERAGE_S * fs))))
    threshold *= GRADIENT_THRESHOLD
    inside = smooth > threshold
    # A complex is clean[begin:end]: `begin` is the sample before the run, `end` its last one.
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    rising = inside[edges + 1]
    begin, end = edges[rising], edges[~rising]
    if begin.size == 0:
        return empty
    end = end[end > begin[0]]
    count = min(begin.size, end.size)
    begin, end = begin[:count], end[:count]
    length = end - begin
    long_enough = length >= GRADIENT_MIN_LENGTH * length.mean()
    begin, end = begin[long_enough], end[long_enough]
    if begin.size == 0:
        return empty

    # Interior local extrema (the slope changes sign) of each complex.
    rises = clean[1:] > clean[:-1]
    turning = rises[:-1] != rises[1:]
    turning &= inside[1:-1]
    candidates = np.flatnonzero(turning) + 1
    complex_of = np.searchsorted(begin, candidates, side="right") - 1
    keep = complex_of >= 0
    candidates, complex_of = candidates[keep], complex_of[keep]
    keep = (candidates > begin[complex_of]) & (candidates < end[complex_of] - 1)
    candidates, complex_of = candidates[keep], complex_of[keep]
    if candidates.size == 0:
        return empty

    # Per complex, the extremum farthest from the complex's mean (candidates are in order, so
    # each complex's candidates are one run).
    bounds = np.stack([begin, end], axis=1).ravel()
    means = np.add.reduceat(clean, bounds)[::2] / (end - begin)
    distance = np.abs(clean[candidates] - means[complex_of])
    run_start = np.flatnonzero(np.diff(complex_of, prepend=-1))
    farthest = np.maximum.reduceat(distance, run_start)
    run_of = np.cumsum(np.diff(complex_of, prepend=-1) != 0) - 1
    is_farthest = distance == farthest[run_of]
    # The first farthest one of each run.
    chosen = np.flatnonzero(is_farthest)
    chosen = chosen[np.diff(run_of[chosen], prepend=-1) != 0]
    peaks, complex_of = candidates[chosen], complex_of[chosen]

    # Amplitude check against the neighbouring complexes.
    strength = np.maximum.reduceat(smooth, bounds)[::2][complex_of]
    k = GRADIENT_NEIGHBOURS
    if strength.size > 2 * k + 1:
        windows = sliding_window_view(np.pad(strength, k, mode="reflect"), 2 * k + 1)
        typical = np.median(windows, axis=1)
    else:
        typical = np.full(strength.size, np.median(strength))
    peaks = peaks[strength >= min_strength * typical]

    # Refractory period: a peak within GRADIENT_MIN_RR_S after the last kept one is dropped.
    min_rr = int(round(GRADIENT_MIN_RR_S * fs))
    kept, last = [], -min_rr - 1
    for peak in peaks.tolist():
        if peak - last > min_rr:
            kept.append(peak)
            last = peak
    return np.asarray(kept, dtype=np.int64)


def detector_peaks(signal: np.ndarray, clean: np.ndarray, fs: float, method: str) -> np.ndarray:
    """The detector's own R peaks (sorted, unique, not corrected): `method` on the raw `signal`
    or the denoised `clean` lead, as the module docstring says.

    The detector libraries are imported here, when chosen: NeuroKit2 alone takes 1-2 s and
    loads matplotlib.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.size < MIN_LEAD_S * fs or np.ptp(signal) == 0:
        return np.empty(0, dtype=np.int64)
    if method == "gradient":
        peaks = gradient_peaks(clean, fs)
    elif method == "xqrs":
        detector = processing.XQRS(sig=signal, fs=fs)
        detector.detect(verbose=False)
        peaks = detector.qrs_inds
    elif method == "sleepecg":
        import sleepecg

        peaks = sleepecg.detect_heartbeats(signal, fs)
    elif method == "neurokit2":
        import neurokit2

        peaks = neurokit2.ecg_findpeaks(clean, sampling_rate=fs, method="neurokit")["ECG_R_Peaks"]
    else:
        raise ValueError(f"unknown R-peak detector {method!r}: one of {DETECTOR_METHODS}")
    return np.unique(np.asarray(peaks, dtype=np.int64))


def detect_r_peaks(
    signal: np.ndarray,
    clean: np.ndarray,
    fs: float,
    options: DetectorOptions,
) -> np.ndarray:
    """R-peak positions (sorted, unique) of a lead: the detector `options.method`, its peaks then
    corrected on the denoised `clean` lead where the method is in CORRECTED_METHODS."""
    peaks = detector_peaks(signal, clean, fs, options.method)
    if options.method in CORRECTED_METHODS:
        return correct_peaks(clean, peaks, fs, options)
    return peaks


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
