"""Benchmark: reading MIT-BIH records with wfdb vs denoising + segmenting + normalising them.

    python benchmarks/bench_preprocessing.py [MITDB_DIR]

Prints, for all records found, the time spent reading (wfdb header, signal and annotations)
and the time spent preprocessing (denoise + segment + normalise), and their ratio, measured in
one run. Targets: preprocessing no slower than reading (ratio <= 1); all 48 records processed in
under a minute on 2 cores (the workflow runs one job per record, so 2 records at a time).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from ecgbeats.beats import BeatOptions, beats_from_signal
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.records import read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS

# The workflow's settings (config.yaml): leads, denoising, beat window.
CONFIG = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
LEADS = CONFIG["leads"]
DENOISING = DenoisingOptions(**CONFIG["denoise"])
WINDOW = BeatOptions(**CONFIG["beats"])


def process(path: Path) -> tuple[float, float, int]:
    """(read seconds, preprocess seconds, beats) for one record."""
    start = time.perf_counter()
    recording = read_recording(path, LEADS, target_fs=TARGET_FS)
    samples, _ = read_annotations_of(recording, path, "atr")
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    beat_set = beats_from_signal(
        recording.signal,
        recording.fs,
        samples,
        denoising=DENOISING,
        window=WINDOW,
    )
    return read_s, time.perf_counter() - start, beat_set.beats.shape[0]


def main() -> None:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["MITDB_DIR"])
    records = sorted(p.with_suffix("") for p in directory.glob("*.hea"))
    wall_start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(process, records))
    wall = time.perf_counter() - wall_start
    read_total = sum(r[0] for r in results)
    prep_total = sum(r[1] for r in results)
    beats = sum(r[2] for r in results)
    print(f"records: {len(records)}, beats: {beats}")
    print(f"read (wfdb) total:              {read_total:8.2f} s")
    print(f"denoise+segment+normalise total: {prep_total:8.2f} s")
    print(f"ratio preprocess / read:         {prep_total / read_total:8.2f}  (target <= 1)")
    print(f"wall time, 2 workers:            {wall:8.2f} s  (target < 60 s)")


if __name__ == "__main__":
    main()
