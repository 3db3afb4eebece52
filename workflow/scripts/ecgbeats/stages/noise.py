"""Noise stress test: rule noise_stress (one model's test beats under noise at each SNR).

Every record with test beats is read as for training, noise of each source is added to its lead
at each SNR (ecgbeats.noise: the stress-test database's definition), and its beats are cut and
classified again through the one code path of whole recordings (ecgbeats.scoring), at the
annotated positions; only the test beats are classified (their RR features and median beat
still come from all of the record's beats) and scored. The clean condition (no
noise, SNR ``inf``) runs the same path, so it reproduces the test metrics. The figure (rule
plot_noise_curve) is in ecgbeats.stages.noise_figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ecgbeats import metrics
from ecgbeats.artifacts import SPLIT, load_rows_of, write_table
from ecgbeats.beats import BeatOptions
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.model import load_model
from ecgbeats.noise import (
    fitted,
    generate_noise,
    noisy_recording,
    read_noise_record,
    seeded_rng,
    source_names,
)
from ecgbeats.records import read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.scoring import score_recording
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)

#: The noise-free condition's source name in the noise curve table.
CLEAN = "none"


@dataclass(frozen=True)
class NoiseOptions:
    """SNRs (dB) and noise sources (ecgbeats.noise.NOISE_SOURCES) of the stress test; the seed
    of generated noise and of where each record's noise starts in a noise record."""

    snr_db: Sequence[float]
    sources: Sequence[str]
    seed: int


def noise_stress(
    dataset: str | Path,
    split_file: str | Path,
    model: str | Path,
    curve: str | Path,
    headers: Sequence[str | Path],
    noise_records: Sequence[str | Path],
    *,
    options: NoiseOptions,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> pd.DataFrame:
    """Metrics of `model` on its test part (`split_file`) with noise added, per source and SNR.

    `headers`: the records (one per record id, named after it); `noise_records`: headers of WFDB
    noise records named after the sources (e.g. the stress-test database's bw, ma, em), or none
    to generate the noise (ecgbeats.noise.generate_noise). Writes `curve` (TSV, with its HTML
    view): per source and SNR the rows of the metrics table, the overall accuracy and where the
    noise came from; the clean condition first.
    """
    sources = source_names(options.sources)
    data, parts, names = load_rows_of(dataset, SPLIT, split_file, ("test",))
    test = np.asarray(parts["test"], dtype=np.int64)
    if test.size == 0:
        raise InputError(f"{split_file}: the test part is empty")
    network, _ = load_model(model, expected_class_names=names)
    real = {Path(h).stem: Path(h).with_suffix("") for h in noise_records}
    missing = [s for s in sources if real and s not in real]
    if missing:
        raise InputError(f"noise records: none named {', '.join(missing)} among {sorted(real)}")
    origin = "recorded" if real else "generated"
    noise_signals = {s: read_noise_record(real[s], TARGET_FS) for s in sources if real}
    record_paths = {Path(h).stem: Path(h).with_suffix("") for h in headers}

    conditions = [(CLEAN, float("inf"))] + [
        (source, float(snr)) for source in sources for snr in options.snr_db
    ]
    scores: dict[tuple[str, float], list[np.ndarray]] = {c: [] for c in conditions}
    records = data["records"][test].astype(str)
    truth = []
    for record in sorted(set(records)):
        if record not in record_paths:
            raise InputError(f"record {record} of {dataset}: no header given")
        in_record = records == record
        wanted = data["samples"][test][in_record]
        order = np.argsort(wanted, kind="stable")
        truth.append(data["labels"][test][in_record][order])
        path = record_paths[record]
        recording = read_recording(path, leads, target_fs=TARGET_FS)
        peaks, _ = read_annotations_of(recording, path, "atr")
        for source, snr in conditions:
            noise = np.zeros(recording.signal.size)
            if source != CLEAN:
                rng = seeded_rng(options.seed, source, record)
                if real:
                    offset = int(rng.integers(noise_signals[source].size))
                    noise = fitted(noise_signals[source], recording.signal.size, offset)
                else:
                    noise = generate_noise(source, recording.signal.size, TARGET_FS, rng)
            noisy = noisy_recording(recording, noise, peaks, snr)
            # Only the test beats are classified (a third of the beats in the intra split).
            _, (probabilities,) = score_recording(
                noisy, peaks, [network], denoising=denoising, window=window, only_at=wanted[order]
            )
            scores[(source, snr)].append(probabilities)
        logger.info(
            "record %s: %d test beats under %d conditions", record, order.size, len(conditions)
        )

    y_true = np.concatenate(truth)
    tables = []
    for source, snr in conditions:
        probabilities = np.concatenate(scores[(source, snr)])
        table = metrics.classification_table(y_true, probabilities, names)
        table.insert(0, "snr_db", snr)
        table.insert(0, "source", source)
        table.insert(2, "noise", "none" if source == CLEAN else origin)
        table["overall_accuracy"] = float(np.mean(probabilities.argmax(axis=1) == y_true))
        tables.append(table)
    result = pd.concat(tables, ignore_index=True)
    write_table(curve, result, float_format="%.6f")
    write_table_view(curve)
    summary = result[result["class"] == metrics.MACRO][
        ["source", "snr_db", "f1", "overall_accuracy"]
    ]
    logger.info(
        "%s noise; macro F1 and overall accuracy:\n%s", origin, summary.to_string(index=False)
    )
    return result
