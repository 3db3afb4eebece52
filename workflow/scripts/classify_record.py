"""Snakemake glue: one new recording -> beat classes (CSV), WFDB `pred` annotations, strip plot."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from _common import logged, set_torch_threads
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection import (
    DetectorOptions,
    annotation_symbols,
    prediction_table,
    record_beats,
    write_annotations,
)
from ecgbeats.errors import InputError
from ecgbeats.model import load_checkpoint, predict_proba
from ecgbeats.plots import classified_strip
from ecgbeats.records import read_beat_annotations, read_recording
from ecgbeats.resampling import TARGET_FS

with logged(snakemake) as log:
    set_torch_threads(snakemake.threads)
    params = snakemake.params
    name = snakemake.wildcards.name
    record_path = Path(snakemake.input.header).with_suffix("")
    recording = read_recording(record_path, params.leads, target_fs=TARGET_FS)
    annotation_file = Path(f"{record_path}.{params.annotation_extension}")
    peaks = None
    if params.beats_from == "auto" and annotation_file.is_file():
        peaks, _ = read_beat_annotations(
            record_path,
            params.annotation_extension,
            length=recording.signal.size,
            source_fs=recording.source_fs,
            target_fs=recording.fs,
        )
        if peaks.size == 0:
            log.info("record %s: %s holds no beat annotations", name, annotation_file)
            peaks = None
    beats = record_beats(
        recording,
        peaks,
        denoising=DenoisingOptions.from_mapping(params.denoise),
        before=params.beats["before"],
        after=params.beats["after"],
        normalisation=params.beats["normalisation"],
        detector=DetectorOptions.from_mapping(params.detector),
    )
    try:
        model, class_names = load_checkpoint(snakemake.input.model, params.class_names)
    except InputError as error:
        raise InputError(f"record {name}: model for task {params.task}: {error}") from error
    probabilities = predict_proba(model, beats.beats)
    symbols = annotation_symbols(
        class_names, params.class_map, params.annotation_symbols, params.task
    )
    # The table and the `pred` annotations are at the record's own rate, like its `.atr`.
    table = prediction_table(
        beats.samples, recording.source_fs, probabilities, class_names, symbols
    )
    table.to_csv(snakemake.output.table, index=False)
    write_annotations(
        Path(snakemake.output.annotations).with_suffix(""),
        table["sample"].to_numpy(),
        table["symbol"].tolist(),
        recording.source_fs,
        "pred",
    )

    start, seconds = params.strip
    time_s = np.arange(beats.signal.size) / recording.fs
    shown = (time_s >= start) & (time_s < start + seconds)
    if not shown.any():
        log.warning("record %s: strip window starts after its end; showing the start", name)
        shown = time_s < seconds
    in_window = (table["time_s"] >= time_s[shown][0]) & (table["time_s"] <= time_s[shown][-1])
    predicted = probabilities.argmax(axis=1)
    figure = classified_strip(
        time_s[shown],
        beats.signal[shown],
        table["time_s"].to_numpy()[in_window],
        predicted[in_window],
        class_names,
        probabilities.max(axis=1)[in_window],
        f"record {name}, lead {recording.lead}: task {params.task} ({params.split} model), "
        f"beats from the {beats.source}",
    )
    figure.savefig(snakemake.output.strip, dpi=120)
    plt.close(figure)
    counts = table["class"].value_counts().to_dict()
    log.info(
        "record %s: lead %s at %g Hz (classified at %g Hz), %d beats from the %s, "
        "%d dropped at the edges; %s",
        name,
        recording.lead,
        recording.source_fs,
        recording.fs,
        len(table),
        beats.source,
        int((~beats.kept).sum()),
        counts,
    )
