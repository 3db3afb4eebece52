"""Classifying a new recording: rule classify_record."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np

from ecgbeats.annotations import annotation_symbols, write_annotations
from ecgbeats.beats import BeatOptions
from ecgbeats.classes import class_names
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.inference import RecordBeats, prediction_table, strip_window
from ecgbeats.model import BeatCNN, load_model
from ecgbeats.plots import classified_strip
from ecgbeats.records import Recording, read_annotations_of, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.rpeaks import DetectorOptions
from ecgbeats.scoring import score_recording

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassifyOptions:
    """Which model classifies a recording, where its beats come from, what the outputs show."""

    task: str  # the model of results/{split}/{task}/model.pt
    split: str
    class_map: Mapping[str, str]  # the task's MIT-BIH symbol -> class map
    # Symbol written to the annotation file per class, where not the first one mapping to it.
    annotation_symbols: Mapping[str, str]
    # auto: the record's beat annotations when it has them, else the detector; detector: always.
    beats_from: Literal["auto", "detector"]
    annotation_extension: str  # of the record's own beat annotations
    strip_start_s: float
    strip_seconds: float

    def __post_init__(self) -> None:
        if self.beats_from not in ("auto", "detector"):
            raise InputError(f"beats from {self.beats_from!r}: auto or detector")
        if self.strip_seconds <= 0:
            raise InputError(f"strip plot of {self.strip_seconds:g} s: must be above 0")


def given_beats(
    record_path: Path, recording: Recording, options: ClassifyOptions
) -> np.ndarray | None:
    """The record's own beat positions at TARGET_FS, or None where the detector places them."""
    annotation_file = Path(f"{record_path}.{options.annotation_extension}")
    if options.beats_from != "auto" or not annotation_file.is_file():
        return None
    peaks, _ = read_annotations_of(recording, record_path, options.annotation_extension)
    if peaks.size == 0:
        logger.info("record %s: %s holds no beat annotations", recording.record, annotation_file)
        return None
    return peaks


@dataclass(frozen=True)
class ClassifiedRecording:
    """A new recording, its beats, the model and the beats' class probabilities."""

    recording: Recording
    found: RecordBeats
    network: BeatCNN
    names: list[str]
    probabilities: np.ndarray  # (beats, classes)


def classified_recording(
    header: str | Path,
    model: str | Path,
    options: ClassifyOptions,
    *,
    detector: DetectorOptions,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    window: BeatOptions,
) -> ClassifiedRecording:
    """Read the recording of `header`, place and cut its beats (its annotations or the detector,
    as the options say) and classify them with `model`: the path of every classified record."""
    record_path = Path(header).with_suffix("")
    recording = read_recording(record_path, leads, target_fs=TARGET_FS)
    try:
        network, names = load_model(model, class_names(options.class_map))
    except InputError as error:
        raise InputError(
            f"record {recording.record}: model for task {options.task}: {error}"
        ) from error
    found, (probabilities,) = score_recording(
        recording,
        given_beats(record_path, recording, options),
        [network],
        denoising=denoising,
        window=window,
        detector=detector,
    )
    return ClassifiedRecording(recording, found, network, names, probabilities)


def classify_record(
    header: str | Path,
    model: str | Path,
    options: ClassifyOptions,
    *,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    window: BeatOptions,
    detector: DetectorOptions,
    table: str | Path,
    annotations: str | Path,
    strip: str | Path,
) -> None:
    """One new recording (`header` and its signal) -> beat table (CSV), annotations, strip plot.

    The table and the annotations (WFDB, extension of `annotations`, symbols per class from
    :func:`ecgbeats.annotations.annotation_symbols`) give positions at the record's own rate,
    like its `.atr`; `strip` is a PNG of the options' strip window with each beat's class.
    """
    classified = classified_recording(
        header, model, options, leads=leads, denoising=denoising, window=window, detector=detector
    )
    recording, found = classified.recording, classified.found
    names, probabilities = classified.names, classified.probabilities
    name = recording.record
    symbols = annotation_symbols(names, options.class_map, options.annotation_symbols, options.task)
    beat_table = prediction_table(found.samples, recording.source_fs, probabilities, names, symbols)
    beat_table.to_csv(table, index=False)
    annotations = Path(annotations)
    write_annotations(
        annotations.with_suffix(""),
        beat_table["sample"].to_numpy(),
        beat_table["symbol"].tolist(),
        recording.source_fs,
        annotations.suffix.lstrip("."),
    )

    window = strip_window(
        found.signal.size,
        recording.fs,
        beat_table["time_s"].to_numpy(),
        options.strip_start_s,
        options.strip_seconds,
    )
    if window.moved:
        logger.warning("record %s: strip window starts after its end; showing the start", name)
    figure = classified_strip(
        window.time_s,
        found.signal[window.shown],
        beat_table["time_s"].to_numpy()[window.beats],
        probabilities.argmax(axis=1)[window.beats],
        names,
        probabilities.max(axis=1)[window.beats],
        f"record {name}, lead {recording.lead}: task {options.task} ({options.split} model), "
        f"beats from the {found.source}",
    )
    figure.savefig(strip, dpi=120)
    plt.close(figure)
    logger.info(
        "record %s: lead %s at %g Hz (classified at %g Hz), %d beats from the %s, "
        "%d dropped at the edges; %s",
        name,
        recording.lead,
        recording.source_fs,
        recording.fs,
        len(beat_table),
        found.source,
        int((~found.kept).sum()),
        beat_table["class"].value_counts().to_dict(),
    )
