"""Classifying new recordings: resampling, R-peak detection, beat matching, annotation output.

The beats themselves come from `ecgbeats.beats.beats_from_signal`, the code path of training;
this module only brings a recording to the training's sampling rate and finds the R peaks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import wfdb
from scipy.signal import resample_poly
from wfdb import processing

from ecgbeats.beats import Normalisation, beats_from_signal
from ecgbeats.classes import symbol_for_class
from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.records import BEAT_SYMBOLS

# The sampling rate of MIT-BIH, hence of every beat the model was trained on.
TARGET_FS = 360.0
# Below this the QRS complex (energy up to ~40 Hz) is not resolved, so neither the detector nor
# the 300-sample window designed at 360 Hz would see the beats the model was trained on.
MIN_FS = 100.0
# AAMI EC57 matching window: a detection within 150 ms of a reference beat is a true positive.
MATCH_WINDOW_S = 0.150


@dataclass(frozen=True)
class DetectorOptions:
    """Peak correction after XQRS: move each detection to the local extremum nearby."""

    search_radius_s: float = 0.1
    smooth_window_s: float = 0.4

    @classmethod
    def from_mapping(cls, values: Mapping) -> DetectorOptions:
        return cls(
            search_radius_s=float(values["search_radius_s"]),
            smooth_window_s=float(values["smooth_window_s"]),
        )


def resampling_ratio(fs: float, target_fs: float, record: str) -> Fraction:
    """target_fs / fs as a small exact fraction, or an InputError naming the record."""
    if not np.isfinite(fs) or fs < MIN_FS:
        raise InputError(
            f"record {record}: sampling rate {fs} Hz cannot be handled "
            f"(at least {MIN_FS:g} Hz is needed to resolve the QRS complex)"
        )
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    # Polyphase resampling needs a rational ratio with small terms (e.g. 250 -> 360 is 36/25).
    if abs(float(ratio) * fs - target_fs) > 1e-9 * target_fs:
        raise InputError(
            f"record {record}: sampling rate {fs} Hz has no exact small rational ratio to "
            f"{target_fs:g} Hz and cannot be resampled"
        )
    return ratio


def resample_signal(signal: np.ndarray, fs: float, target_fs: float, record: str) -> np.ndarray:
    """`signal` resampled to `target_fs` with a zero-phase polyphase filter (no time shift)."""
    ratio = resampling_ratio(fs, target_fs, record)
    signal = np.asarray(signal, dtype=np.float64)
    if ratio == 1:
        return signal
    # Padding with the edge value avoids the filter's ringing against an implicit zero.
    return resample_poly(signal, ratio.numerator, ratio.denominator, padtype="line")


def convert_positions(samples: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Sample positions at `fs` expressed at `target_fs`, rounded to the nearest sample."""
    samples = np.asarray(samples, dtype=np.float64)
    return np.rint(samples * (target_fs / fs)).astype(np.int64)


def detect_r_peaks(
    signal: np.ndarray,
    clean: np.ndarray,
    fs: float,
    options: DetectorOptions = DetectorOptions(),
) -> np.ndarray:
    """R-peak positions: wfdb's XQRS on the raw lead, corrected on the denoised lead.

    XQRS does its own band-pass filtering; the correction moves each detection to the
    extremum of the denoised lead (the signal the beats are cut from) within the search radius.
    """
    signal = np.asarray(signal, dtype=np.float64)
    detector = processing.XQRS(sig=signal, fs=fs)
    detector.detect(verbose=False)
    peaks = np.asarray(detector.qrs_inds, dtype=np.int64)
    if peaks.size == 0:
        return peaks
    corrected = processing.correct_peaks(
        np.asarray(clean, dtype=np.float64),
        peak_inds=peaks,
        search_radius=max(1, int(round(options.search_radius_s * fs))),
        smooth_window_size=max(1, int(round(options.smooth_window_s * fs))),
    )
    # Two detections corrected onto the same extremum are one beat.
    return np.unique(np.asarray(corrected, dtype=np.int64))


def match_beats(
    reference: np.ndarray, detected: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matches within `window` samples: (reference indices, detected indices).

    Uses wfdb's Comparitor (the matching of its benchmark) on beat annotations only.
    """
    reference = np.asarray(reference, dtype=np.int64)
    detected = np.asarray(detected, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    if reference.size == 0 or detected.size == 0:
        return empty, empty
    comparitor = processing.Comparitor(reference, detected, int(window))
    comparitor.compare()
    matches = np.asarray(comparitor.matching_sample_nums, dtype=np.int64)
    reference_index = np.flatnonzero(matches >= 0)
    return reference_index, matches[reference_index]


def detection_counts(
    reference: np.ndarray, detected: np.ndarray, window: int
) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of `detected` against `reference`."""
    reference_index, _ = match_beats(reference, detected, window)
    tp = int(reference_index.size)
    return tp, int(len(detected)) - tp, int(len(reference)) - tp


def sensitivity_ppv(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Sensitivity TP/(TP+FN) and positive predictivity TP/(TP+FP); NaN when undefined."""
    se = tp / (tp + fn) if tp + fn else float("nan")
    ppv = tp / (tp + fp) if tp + fp else float("nan")
    return se, ppv


def annotation_symbols(
    class_names: Sequence[str],
    symbol_map: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
    task: str = "",
) -> list[str]:
    """The MIT-BIH symbol written for each class: the first symbol mapping to it, or an override.

    Overrides let a grouped class use the symbol WFDB tools expect (AAMI Q -> `Q`, not `/`).
    """
    first = symbol_for_class(symbol_map)
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(class_names))
    if unknown:
        raise InputError(
            f"config key 'classify.annotation_symbols.{task}': unknown class(es) "
            f"{', '.join(unknown)}; the task has {', '.join(class_names)}"
        )
    symbols = []
    for name in class_names:
        symbol = overrides.get(name, first.get(name))
        if symbol is None:
            raise InputError(f"task {task}: class {name} has no MIT-BIH symbol in its class map")
        if symbol not in BEAT_SYMBOLS:
            raise InputError(
                f"config key 'classify.annotation_symbols.{task}': {symbol!r} for class {name} "
                "is not a MIT-BIH beat symbol"
            )
        symbols.append(symbol)
    return symbols


def write_annotations(
    path: str | Path, samples: np.ndarray, symbols: Sequence[str], fs: float, extension: str
) -> Path:
    """Write `path`.`extension` (a WFDB annotation file) with one beat label per sample."""
    path = Path(path)
    samples = np.asarray(samples, dtype=np.int64)
    if samples.size == 0:
        raise InputError(f"record {path.name}: no beats to write to {path}.{extension}")
    path.parent.mkdir(parents=True, exist_ok=True)
    wfdb.wrann(
        path.name,
        extension,
        samples,
        symbol=list(symbols),
        fs=fs,
        write_dir=str(path.parent),
    )
    return path.parent / f"{path.name}.{extension}"


def detect_record_peaks(
    signal: np.ndarray,
    fs: float,
    *,
    record: str,
    denoising: DenoisingOptions,
    detector: DetectorOptions = DetectorOptions(),
) -> np.ndarray:
    """R peaks of a whole lead at its own rate `fs`, detected at TARGET_FS."""
    resampled = resample_signal(signal, fs, TARGET_FS, record)
    try:
        clean = denoise(resampled, denoising)
    except InputError as error:
        raise InputError(f"record {record}: {error}") from error
    peaks = detect_r_peaks(resampled, clean, TARGET_FS, detector)
    return convert_positions(peaks, TARGET_FS, fs)


@dataclass(frozen=True)
class RecordBeats:
    """Model-ready beats of one recording and where they are in the original signal."""

    beats: np.ndarray  # float32 (n, before + after), cut at TARGET_FS
    samples: np.ndarray  # int64 (n,) R-peak positions at the recording's own rate
    target_samples: np.ndarray  # int64 (n,) the same positions at TARGET_FS
    source: str  # "annotations" (positions given) or "detector"
    kept: np.ndarray  # bool, per given or detected peak: its window fits in the record
    signal: np.ndarray  # float64 lead resampled to TARGET_FS (for plots)


def record_beats(
    signal: np.ndarray,
    fs: float,
    peaks: np.ndarray | None,
    *,
    record: str,
    denoising: DenoisingOptions,
    before: int,
    after: int,
    normalisation: Normalisation,
    detector: DetectorOptions | None = None,
) -> RecordBeats:
    """Resample a lead to TARGET_FS, place the beats and cut them like the training data.

    Beats are placed at `peaks` (sorted sample positions at `fs`: annotations, or detections
    made earlier) when given, else detected by XQRS with `detector` options. Beats whose window
    leaves the record are dropped, as in training.
    """
    resampled = resample_signal(signal, fs, TARGET_FS, record)
    if resampled.size < before + after:
        raise InputError(
            f"record {record}: too short for one beat ({resampled.size} samples at "
            f"{TARGET_FS:g} Hz, a beat window needs {before + after})"
        )
    try:
        if peaks is None:
            clean = denoise(resampled, denoising)
            positions = detect_r_peaks(resampled, clean, TARGET_FS, detector or DetectorOptions())
            source = "detector"
        else:
            positions = convert_positions(peaks, fs, TARGET_FS)
            source = "annotations"
        beat_set = beats_from_signal(
            resampled,
            TARGET_FS,
            positions,
            denoising=denoising,
            before=before,
            after=after,
            normalisation=normalisation,
        )
    except InputError as error:
        raise InputError(f"record {record}: {error}") from error
    if beat_set.samples.size == 0:
        raise InputError(
            f"record {record}: no complete beat window ({before} + {after} samples at "
            f"{TARGET_FS:g} Hz) around any of its {positions.size} beats from the {source}"
        )
    return RecordBeats(
        beats=beat_set.beats,
        samples=convert_positions(beat_set.samples, TARGET_FS, fs),
        target_samples=beat_set.samples,
        source=source,
        kept=beat_set.kept,
        signal=resampled,
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


def detector_tables(
    records: Sequence[str], n_reference: np.ndarray, n_detected: np.ndarray, n_matched: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-record and gross (beats pooled over records, as AAMI EC57) Se and +P tables."""
    tp = np.asarray(n_matched, dtype=np.int64)
    fp = np.asarray(n_detected, dtype=np.int64) - tp
    fn = np.asarray(n_reference, dtype=np.int64) - tp
    per_record = pd.DataFrame({"record": list(records), "reference_beats": n_reference})
    per_record["detections"] = n_detected
    per_record["tp"], per_record["fp"], per_record["fn"] = tp, fp, fn
    rates = [sensitivity_ppv(*counts) for counts in zip(tp, fp, fn, strict=True)]
    per_record["sensitivity"] = [se for se, _ in rates]
    per_record["positive_predictivity"] = [ppv for _, ppv in rates]
    se, ppv = sensitivity_ppv(int(tp.sum()), int(fp.sum()), int(fn.sum()))
    gross = pd.DataFrame(
        {
            "records": [len(records)],
            "reference_beats": [int(np.sum(n_reference))],
            "detections": [int(np.sum(n_detected))],
            "tp": [int(tp.sum())],
            "fp": [int(fp.sum())],
            "fn": [int(fn.sum())],
            "sensitivity": [se],
            "positive_predictivity": [ppv],
            "match_window_s": [MATCH_WINDOW_S],
        }
    )
    return per_record, gross
