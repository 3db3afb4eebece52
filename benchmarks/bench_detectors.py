"""Benchmark: the R-peak detectors of ecgbeats.rpeaks, and variants of them, on MIT-BIH.

    python benchmarks/bench_detectors.py [MITDB_DIR] [--records 100 101 ...] [--tsv FILE]
        [--repeats 3]

Each record is read as the workflow reads it (config.yaml's leads, at 360 Hz) and denoised once
(config.yaml's denoise; the denoised lead is made for the beats anyway, so its time is printed
but not counted). Every detector and variant then runs on it in this one process, each call
timed with the same clock, and is scored with ecgbeats.detection_metrics against the record's
beat annotations (AAMI EC57 matching, 150 ms); a detector's time on a record is the median of
3 calls (--repeats). Printed: the CPU model, gross Se and +P, the alignment of the matched
peaks with the annotated ones, median and max seconds per record, the speed relative to XQRS
(today's detector, with its peak correction) measured in this run, per-record Se and +P of the
selectable methods, and which of them meets the target: at least XQRS's gross Se and +P at 100
times its speed (median seconds per record). `--tsv` writes the per-record counts and times of
every variant.

Variants: each detector with and without the peak correction of config.yaml's classify.detector,
NeuroKit2 on its own cleaning of the raw lead (instead of the denoised lead), the gradient
detector without its amplitude check and with a search-back, and detectors combined by
agreement (2 of 2, 1 of 2, 2 of 3).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from numpy.lib.stride_tricks import sliding_window_view

from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.detection_metrics import detector_tables, match_beats, match_window
from ecgbeats.records import read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.rpeaks import (
    CORRECTED_METHODS,
    DETECTOR_METHODS,
    DetectorOptions,
    correct_peaks,
    detector_peaks,
    gradient_peaks,
)

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())
LEADS = CONFIG["leads"]
DENOISING = DenoisingOptions(**CONFIG["denoise"])
DETECTOR = DetectorOptions(**CONFIG["classify"]["detector"])
BASELINE = "xqrs"  # the variant the speed is relative to: XQRS with peak correction
SPEED_TARGET = 100.0
# Detections of two detectors within this distance are the same beat (agreement variants).
AGREEMENT_S = 0.1
# Search-back: a gap longer than this x the median of the 9 RR intervals around it is searched.
SEARCH_BACK_GAP = 1.5
# Combinations by agreement: (detectors, votes needed).
AGREEMENTS = (
    (("gradient", "sleepecg"), 2),
    (("gradient", "sleepecg"), 1),
    (("gradient", "sleepecg", "neurokit2"), 2),
    (("gradient", "sleepecg", "xqrs"), 2),
)


@dataclass
class Variant:
    name: str
    description: str
    peaks: dict[str, np.ndarray] = field(default_factory=dict)  # per record
    seconds: dict[str, float] = field(default_factory=dict)  # per record


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed_calls(function: Callable[[], np.ndarray], repeats: int) -> tuple[np.ndarray, float]:
    """The function's peaks and the median seconds of `repeats` calls."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        peaks = function()
        seconds.append(time.perf_counter() - start)
    return np.asarray(peaks, dtype=np.int64), float(np.median(seconds))


def neurokit2_own_cleaning(signal: np.ndarray, fs: float) -> np.ndarray:
    """NeuroKit2 as its documentation runs it: ecg_clean on the raw lead, then ecg_peaks."""
    import neurokit2

    cleaned = neurokit2.ecg_clean(signal, sampling_rate=fs, method="neurokit")
    _, info = neurokit2.ecg_peaks(cleaned, sampling_rate=fs, method="neurokit")
    return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)


def agreement(detections: Sequence[np.ndarray], tolerance: int, votes: int) -> np.ndarray:
    """Beats found by at least `votes` of the detectors: detections of all detectors sorted and
    grouped where consecutive ones are within `tolerance` samples; a group counts one vote per
    detector in it and sits at the first detector's peak in it (else the next one's)."""
    positions = np.concatenate([np.asarray(d, dtype=np.int64) for d in detections])
    if positions.size == 0:
        return positions
    owner = np.concatenate([np.full(len(d), i) for i, d in enumerate(detections)])
    order = np.argsort(positions, kind="stable")
    positions, owner = positions[order], owner[order]
    group = np.cumsum(np.r_[True, np.diff(positions) > tolerance]) - 1
    present = np.zeros((group[-1] + 1, len(detections)), dtype=bool)
    present[group, owner] = True
    place = np.empty(group[-1] + 1, dtype=np.int64)
    for detector in reversed(range(len(detections))):  # the first detector's peak written last
        mine = owner == detector
        place[group[mine]] = positions[mine]
    return np.unique(place[present.sum(axis=1) >= votes])


def search_back(peaks: np.ndarray, candidates: np.ndarray, min_rr: int) -> np.ndarray:
    """Add, in each RR gap longer than SEARCH_BACK_GAP x the local median RR, the candidate
    nearest the gap's middle that is at least `min_rr` from both ends."""
    peaks = np.asarray(peaks, dtype=np.int64)
    rr = np.diff(peaks)
    if rr.size < 9:
        return peaks
    local = np.median(sliding_window_view(np.pad(rr, 4, mode="reflect"), 9), axis=1)
    extra = []
    for gap in np.flatnonzero(rr > SEARCH_BACK_GAP * local):
        start, stop = peaks[gap], peaks[gap + 1]
        inside = candidates[(candidates > start + min_rr) & (candidates < stop - min_rr)]
        if inside.size:
            extra.append(inside[np.argmin(np.abs(inside - (start + stop) / 2))])
    return np.unique(np.concatenate([peaks, np.asarray(extra, dtype=np.int64)]))


def run_record(
    signal: np.ndarray,
    clean: np.ndarray,
    variants: dict[str, Variant],
    record: str,
    repeats: int,
) -> None:
    """Every variant on one record: detections and seconds into `variants`."""
    fs = TARGET_FS

    def timed(function: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
        return timed_calls(function, repeats)

    own: dict[str, tuple[np.ndarray, float]] = {}  # each detector's own peaks and seconds
    for method in DETECTOR_METHODS:
        own[method] = timed(lambda m=method: detector_peaks(signal, clean, fs, m))
    own["neurokit2-own-cleaning"] = timed(lambda: neurokit2_own_cleaning(signal, fs))
    own["gradient-no-amplitude-check"] = timed(lambda: gradient_peaks(clean, fs, min_strength=0.0))

    def put(name: str, peaks: np.ndarray, seconds: float) -> None:
        variants[name].peaks[record] = peaks
        variants[name].seconds[record] = seconds

    selected: dict[str, tuple[np.ndarray, float]] = {}  # the methods as the workflow runs them
    for method, (peaks, seconds) in own.items():
        corrected, correction_s = timed(lambda p=peaks: correct_peaks(clean, p, fs, DETECTOR))
        if method in CORRECTED_METHODS or method == "neurokit2-own-cleaning":
            selected[method] = (corrected, seconds + correction_s)
            put(method, corrected, seconds + correction_s)
            put(f"{method}, no correction", peaks, seconds)
        else:
            if method in DETECTOR_METHODS:
                selected[method] = (peaks, seconds)
            put(method, peaks, seconds)
            put(f"{method} + correction", corrected, seconds + correction_s)

    gradient, gradient_s = selected["gradient"]
    candidates, candidates_s = own["gradient-no-amplitude-check"]
    found, extra_s = timed(lambda: search_back(gradient, candidates, int(round(0.3 * fs))))
    put("gradient + search-back", found, gradient_s + candidates_s + extra_s)

    tolerance = int(round(AGREEMENT_S * fs))
    for names, votes in AGREEMENTS:
        found, fusion_s = timed(
            lambda n=names, v=votes: agreement([selected[m][0] for m in n], tolerance, v)
        )
        name = f"{votes} of {' + '.join(names)}"
        put(name, found, sum(selected[m][1] for m in names) + fusion_s)


def variant_list() -> dict[str, Variant]:
    described = {
        "gradient": "NeuroKit2's gradient detector, vectorised, extremum of either sign, "
        "amplitude check (denoised lead)",
        "gradient + correction": "the same, then the peak correction",
        "gradient-no-amplitude-check": "the gradient detector without its amplitude check",
        "gradient-no-amplitude-check + correction": "the same, then the peak correction",
        "gradient + search-back": "gradient, plus amplitude-rejected complexes in long RR gaps",
        "xqrs": "wfdb XQRS (raw lead) + peak correction: today's detector",
        "xqrs, no correction": "wfdb XQRS alone",
        "sleepecg": "sleepecg detect_heartbeats (raw lead) + peak correction",
        "sleepecg, no correction": "sleepecg detect_heartbeats alone",
        "neurokit2": "NeuroKit2 ecg_findpeaks (denoised lead) + peak correction",
        "neurokit2, no correction": "NeuroKit2 ecg_findpeaks (denoised lead) alone",
        "neurokit2-own-cleaning": "NeuroKit2 ecg_clean + ecg_peaks (raw lead) + peak correction",
        "neurokit2-own-cleaning, no correction": "NeuroKit2 ecg_clean + ecg_peaks alone",
    }
    for names, votes in AGREEMENTS:
        name = f"{votes} of {' + '.join(names)}"
        described[name] = f"beats found by {votes} of the {len(names)} (within 100 ms)"
    return {name: Variant(name, text) for name, text in described.items()}


def alignment_ms(reference: np.ndarray, peaks: np.ndarray, window: int) -> np.ndarray:
    reference_index, peak_index = match_beats(reference, peaks, window)
    return np.abs(peaks[peak_index] - reference[reference_index]) * 1000.0 / TARGET_FS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mitdb_dir", nargs="?", default=os.environ.get("MITDB_DIR"))
    parser.add_argument("--records", nargs="*", help="record ids (default: every .hea)")
    parser.add_argument("--tsv", type=Path, help="write per-record counts and times here")
    parser.add_argument(
        "--repeats", type=int, default=3, help="calls per detector and record (median time)"
    )
    args = parser.parse_args()
    if not args.mitdb_dir:
        parser.error("give MITDB_DIR (argument or environment variable)")
    directory = Path(args.mitdb_dir)
    records = args.records or sorted(p.stem for p in directory.glob("*.hea"))

    cores = os.cpu_count()
    print(f"CPU: {cpu_model()} ({cores} logical cores), Python {platform.python_version()}")
    packages = ("numpy", "scipy", "wfdb", "sleepecg", "neurokit2")
    print(", ".join(f"{package} {version(package)}" for package in packages))
    print(f"peak correction: {DETECTOR}; {len(records)} records\n")

    variants = variant_list()
    window = match_window(TARGET_FS)
    references: dict[str, np.ndarray] = {}
    denoise_s: list[float] = []
    warmed = False
    for number, record in enumerate(records, 1):
        recording = read_recording(directory / record, LEADS, target_fs=TARGET_FS)
        references[record], _ = read_annotations_of(recording, directory / record)
        start = time.perf_counter()
        clean = denoise(recording.signal, DENOISING)
        denoise_s.append(time.perf_counter() - start)
        if not warmed:  # imports and first-call costs are not part of any record's time
            excerpt = slice(0, int(60 * TARGET_FS))
            run_record(recording.signal[excerpt], clean[excerpt], variant_list(), "warm-up", 1)
            warmed = True
        run_record(recording.signal, clean, variants, record, max(1, args.repeats))
        print(
            f"\r{number}/{len(records)} records (last: {record}, lead {recording.lead})",
            end="",
            flush=True,
        )
    print("\n")

    rows, long_rows = [], []
    baseline_median = np.median(list(variants[BASELINE].seconds.values()))
    for variant in variants.values():
        n_reference = np.array([references[r].size for r in records])
        n_detected = np.array([variant.peaks[r].size for r in records])
        n_matched = np.array(
            [match_beats(references[r], variant.peaks[r], window)[0].size for r in records]
        )
        per_record, gross = detector_tables(records, n_reference, n_detected, n_matched)
        seconds = np.array([variant.seconds[r] for r in records])
        offsets = np.concatenate(
            [alignment_ms(references[r], variant.peaks[r], window) for r in records]
        )
        row = gross.iloc[0]
        rows.append(
            {
                "variant": variant.name,
                "Se %": 100 * row["sensitivity"],
                "+P %": 100 * row["positive_predictivity"],
                "FN": int(row["fn"]),
                "FP": int(row["fp"]),
                "|offset| ms": offsets.mean(),
                "p95 ms": np.percentile(offsets, 95),
                "median s": np.median(seconds),
                "max s": seconds.max(),
                "x XQRS": baseline_median / np.median(seconds),
            }
        )
        per_record["variant"], per_record["seconds"] = variant.name, seconds
        long_rows.append(per_record)

    table = pd.DataFrame(rows)
    base = table.set_index("variant").loc[BASELINE]
    table["target"] = np.where(
        (table["Se %"] >= base["Se %"])
        & (table["+P %"] >= base["+P %"])
        & (table["x XQRS"] >= SPEED_TARGET),
        "yes",
        "",
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(
            "Gross over all beat annotations (TP within 150 ms); |offset|: mean distance of the "
            "matched peaks to the annotated ones, p95 its 95th percentile; seconds per record "
            "(denoising not counted); x XQRS: XQRS's median seconds / the variant's median "
            "seconds, this run.\n"
        )
        print(
            table.to_string(
                index=False,
                formatters={
                    "Se %": "{:.3f}".format,
                    "+P %": "{:.3f}".format,
                    "|offset| ms": "{:.1f}".format,
                    "p95 ms": "{:.1f}".format,
                    "median s": "{:.4f}".format,
                    "max s": "{:.4f}".format,
                    "x XQRS": "{:.0f}".format,
                },
            )
        )
    print(
        f"\ndenoising (shared with the beats, not counted): median "
        f"{np.median(denoise_s):.4f} s per record"
    )

    per_record = pd.concat(long_rows, ignore_index=True)
    wide = per_record[per_record["variant"].isin(DETECTOR_METHODS)].pivot(
        index="record", columns="variant", values=["sensitivity", "positive_predictivity"]
    )
    wide = (100 * wide).rename(columns={"sensitivity": "Se", "positive_predictivity": "+P"})
    wide.columns = [f"{method} {measure}" for measure, method in wide.columns]
    wide = wide[[f"{m} {s}" for m in DETECTOR_METHODS for s in ("Se", "+P")]]
    print("\nPer record, the selectable methods (Se %, +P %):\n")
    print(wide.to_string(float_format="{:.2f}".format))
    if args.tsv:
        per_record.to_csv(args.tsv, sep="\t", index=False, float_format="%.6f")
        print(f"\nper-record table of every variant: {args.tsv}")

    methods = table[table["variant"].isin(DETECTOR_METHODS)].set_index("variant")
    meeting = methods[methods["target"] == "yes"]
    target = f"Se >= {base['Se %']:.3f} %, +P >= {base['+P %']:.3f} %, >= {SPEED_TARGET:.0f} x XQRS"
    if len(meeting):
        best = (meeting["FN"] + meeting["FP"]).idxmin()
        print(f"\nselectable methods meeting the target ({target}): {', '.join(meeting.index)}")
        print(f"best of them (fewest FN + FP): {best}")
    else:
        best = (methods["FN"] + methods["FP"]).idxmin()
        print(f"\nno selectable method meets the target ({target}); fewest FN + FP: {best}")
    print(f"config.yaml classify.detector.method: {DETECTOR.method}")


if __name__ == "__main__":
    main()
