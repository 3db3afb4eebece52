"""Rule split_dataset: the train / validation / test parts of a task's dataset."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ecgbeats.artifacts import DATASET, SPLIT, class_names
from ecgbeats.splits import (
    InterSplitOptions,
    IntraSplitOptions,
    Split,
    class_count_table,
    inter_patient_split,
    intra_patient_split,
    split_records,
)
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)

#: Columns of the split's class-count table, after the class name.
_COUNT_COLUMNS = ("train", "validation", "test", "total")


def split_dataset(
    dataset: str | Path,
    split_file: str | Path,
    counts: str | Path,
    options: IntraSplitOptions | InterSplitOptions,
) -> Split:
    """Train, validation and test row indices of the dataset `dataset`, by the scheme of
    `options` (intra- or inter-patient), written to `split_file`; beats per class and part to the
    TSV `counts` and its HTML view. Returns the split."""
    data = DATASET.load(dataset)
    labels = data["labels"]
    records = data["records"].astype(str)
    names = class_names(data)
    inter = isinstance(options, InterSplitOptions)
    if inter:
        parts = inter_patient_split(labels, records, names, options)
        used = set().union(*split_records(records, parts).values())
        unused = sorted(set(records.tolist()) - used)
        if unused:
            logger.info("records not used by the inter-patient split: %s", ", ".join(unused))
    else:
        parts = intra_patient_split(labels, names, options)
    if parts.excluded_classes:
        logger.warning(
            "class(es) %s occur only in records the split leaves out (%s); they have no beats "
            "in any part: their outputs are not trained and their test metrics are empty",
            ", ".join(parts.excluded_classes),
            ", ".join(options.excluded_records if inter else ()),
        )
    if parts.missing_in_validation:
        logger.warning(
            "class(es) %s have no beats in the validation records; they stay in training and "
            "validation macro-F1 averages over the other classes",
            ", ".join(parts.missing_in_validation),
        )
    for part, ids in split_records(records, parts).items():
        logger.info("%s: %d beats from %d records", part, getattr(parts, part).size, len(ids))
        if inter:
            logger.info("%s records: %s", part, ", ".join(ids))
    SPLIT.save(
        split_file,
        train=parts.train,
        validation=parts.validation,
        test=parts.test,
        class_names=np.array(names),
        missing_in_validation=np.array(parts.missing_in_validation, dtype=str),
        excluded_classes=np.array(parts.excluded_classes, dtype=str),
    )
    table = class_count_table(labels, parts, names)
    lines = ["class\t" + "\t".join(_COUNT_COLUMNS) + "\n"]
    for i, name in enumerate(names):
        lines.append(name + "\t" + "\t".join(str(table[c][i]) for c in _COUNT_COLUMNS) + "\n")
    lines.append("all\t" + "\t".join(str(table[c].sum()) for c in _COUNT_COLUMNS) + "\n")
    Path(counts).parent.mkdir(parents=True, exist_ok=True)
    with open(counts, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    write_table_view(counts)
    return parts
