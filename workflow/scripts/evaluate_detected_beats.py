"""Snakemake glue: test-beat metrics with beats placed by the detector instead of the annotations.

Each test beat of the dataset is matched (150 ms) to a detection of its record; the model
classifies the beat cut around the detection and, for comparison, around the annotation.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from _common import logged, set_torch_threads
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection import record_beats
from ecgbeats.errors import InputError
from ecgbeats.metrics import classification_table
from ecgbeats.model import load_checkpoint, predict_proba
from ecgbeats.records import read_recording
from ecgbeats.resampling import TARGET_FS

with logged(snakemake) as log:
    set_torch_threads(snakemake.threads)
    params = snakemake.params
    beat_options = dict(
        denoising=DenoisingOptions.from_mapping(params.denoise),
        before=params.beats["before"],
        after=params.beats["after"],
        normalisation=params.beats["normalisation"],
    )
    headers = {Path(h).stem: Path(h).with_suffix("") for h in snakemake.input.headers}
    detections = {Path(d).stem: d for d in snakemake.input.detections}
    with np.load(snakemake.input.dataset) as data, np.load(snakemake.input.split) as split:
        test = split["test"]
        records = data["records"][test].astype(str)
        samples = data["samples"][test]
        labels = data["labels"][test]
        class_names = [str(c) for c in data["class_names"]]
    model, _ = load_checkpoint(snakemake.input.model, class_names)

    y_true, p_annotations, p_detector, rows = [], [], [], []
    for record in sorted(set(records)):
        in_record = records == record
        beat_samples, beat_labels = samples[in_record], labels[in_record]
        with np.load(detections[record]) as found:
            reference, detected = found["reference"], found["detected"]
            partner = np.full(reference.size, -1, dtype=np.int64)
            partner[found["reference_index"]] = detected[found["detected_index"]]
        position = np.searchsorted(reference, beat_samples)
        position = np.minimum(position, reference.size - 1)
        if not np.array_equal(reference[position], beat_samples):
            raise InputError(
                f"record {record}: test beats of {snakemake.input.dataset} are not among its "
                f"annotations in {detections[record]}"
            )
        at_detection = partner[position]
        hit = at_detection >= 0
        order = np.argsort(at_detection[hit], kind="stable")
        # Dataset samples and detections are both at TARGET_FS, the rate of this recording.
        recording = read_recording(headers[record], params.leads, target_fs=TARGET_FS)
        detector_beats = record_beats(recording, at_detection[hit][order], **beat_options)
        kept = np.zeros(hit.sum(), dtype=bool)
        kept[order] = detector_beats.kept
        evaluated = np.flatnonzero(hit)[kept]
        annotated_beats = record_beats(recording, beat_samples[evaluated], **beat_options)
        # Detector beats come out in detection order; put them back in annotation order.
        detection_order = np.argsort(np.argsort(at_detection[evaluated], kind="stable"))
        probabilities_detector = predict_proba(model, detector_beats.beats)[detection_order]
        probabilities_annotations = predict_proba(model, annotated_beats.beats)
        y_true.append(beat_labels[evaluated])
        p_detector.append(probabilities_detector)
        p_annotations.append(probabilities_annotations)
        truth = beat_labels[evaluated]
        rows.append(
            {
                "record": record,
                "test_beats": int(in_record.sum()),
                "missed_by_detector": int((~hit).sum()),
                "dropped_at_edges": int((~kept).sum()),
                "evaluated": int(evaluated.size),
                "median_offset_samples": float(
                    np.median(np.abs(at_detection[evaluated] - beat_samples[evaluated]))
                )
                if evaluated.size
                else np.nan,
                "accuracy_annotations": float(
                    np.mean(probabilities_annotations.argmax(axis=1) == truth)
                ),
                "accuracy_detector": float(np.mean(probabilities_detector.argmax(axis=1) == truth)),
            }
        )
    y = np.concatenate(y_true)
    tables = []
    for positions, scores in (("annotations", p_annotations), ("detector", p_detector)):
        table = classification_table(y, np.concatenate(scores), class_names)
        table.insert(0, "positions", positions)
        tables.append(table)
    pd.concat(tables, ignore_index=True).to_csv(
        snakemake.output.metrics, sep="\t", index=False, float_format="%.5f"
    )
    per_record = pd.DataFrame(rows)
    per_record.to_csv(snakemake.output.per_record, sep="\t", index=False, float_format="%.5f")
    log.info(
        "%d test beats: %d missed by the detector, %d dropped at edges, %d evaluated",
        per_record["test_beats"].sum(),
        per_record["missed_by_detector"].sum(),
        per_record["dropped_at_edges"].sum(),
        y.size,
    )
