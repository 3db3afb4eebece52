"""Classifying new recordings: R-peak detection, beat matching, annotation output.

Recordings arrive at the training's rate, read by `read_recording(..., target_fs=TARGET_FS)`, and
the beats come from `ecgbeats.beats.beats_from_signal`: both are the code path of training, so
this module only finds the R peaks and maps positions back to a recording's own rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import wfdb
from wfdb import processing

from ecgbeats.beats import Normalisation, beats_from_signal
from ecgbeats.classes import symbol_for_class
from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.records import BEAT_SYMBOLS, Recording
from ecgbeats.resampling import TARGET_FS, convert_positions

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


def _at_target_rate(recording: Recording, caller: str) -> None:
    """Refuse a recording that was not brought to TARGET_FS by `read_recording`."""
    if recording.fs != TARGET_FS:
        raise ValueError(
            f"{caller}: record {recording.record} is at {recording.fs:g} Hz; read it with "
            f"read_recording(..., target_fs=TARGET_FS) ({TARGET_FS:g} Hz)"
        )


def detect_record_peaks(
    recording: Recording,
    *,
    denoising: DenoisingOptions,
    detector: DetectorOptions = DetectorOptions(),
) -> np.ndarray:
    """R peaks of a whole lead read at TARGET_FS, as sample positions at TARGET_FS."""
    _at_target_rate(recording, "detect_record_peaks")
    try:
        clean = denoise(recording.signal, denoising)
    except InputError as error:
        raise InputError(f"record {recording.record}: {error}") from error
    return detect_r_peaks(recording.signal, clean, TARGET_FS, detector)


@dataclass(frozen=True)
class RecordBeats:
    """Model-ready beats of one recording and where they are in it."""

    beats: np.ndarray  # float32 (n, before + after), cut at TARGET_FS
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
    before: int,
    after: int,
    normalisation: Normalisation,
    detector: DetectorOptions | None = None,
) -> RecordBeats:
    """Place the beats of a recording read at TARGET_FS and cut them like the training data.

    Beats are placed at `peaks` (sorted sample positions at TARGET_FS: annotations read with
    `read_beat_annotations(..., source_fs=recording.source_fs, target_fs=recording.fs)`, or
    detections made earlier) when given, else detected by XQRS with `detector` options. Beats
    whose window leaves the record are dropped, as in training.
    """
    _at_target_rate(recording, "record_beats")
    record, signal = recording.record, recording.signal
    if signal.size < before + after:
        raise InputError(
            f"record {record}: too short for one beat ({signal.size} samples at "
            f"{TARGET_FS:g} Hz, a beat window needs {before + after})"
        )
    try:
        if peaks is None:
            clean = denoise(signal, denoising)
            positions = detect_r_peaks(signal, clean, TARGET_FS, detector or DetectorOptions())
            source = "detector"
        else:
            positions = np.asarray(peaks, dtype=np.int64)
            source = "annotations"
        beat_set = beats_from_signal(
            signal,
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
