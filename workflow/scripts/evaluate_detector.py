"""Snakemake glue: per-record and gross Se / +P of the R-peak detector (AAMI EC57, 150 ms)."""

import numpy as np

from _common import logged
from ecgbeats.detection import detector_tables

with logged(snakemake) as log:
    records, n_reference, n_detected, n_matched = [], [], [], []
    for path in snakemake.input.detections:
        with np.load(path) as data:
            records.append(str(data["record"]))
            n_reference.append(data["reference"].size)
            n_detected.append(data["detected"].size)
            n_matched.append(data["reference_index"].size)
    per_record, gross = detector_tables(
        records, np.array(n_reference), np.array(n_detected), np.array(n_matched)
    )
    per_record.to_csv(snakemake.output.per_record, sep="\t", index=False, float_format="%.5f")
    gross.to_csv(snakemake.output.gross, sep="\t", index=False, float_format="%.5f")
    row = gross.iloc[0]
    log.info(
        "gross over %d records: Se %.4f, +P %.4f (TP %d, FP %d, FN %d)",
        row["records"],
        row["sensitivity"],
        row["positive_predictivity"],
        row["tp"],
        row["fp"],
        row["fn"],
    )
