"""Snakemake glue: dataset -> train/validation/test index arrays and per-part class counts."""

import numpy as np

from _common import logged
from ecgbeats.splits import (
    class_count_table,
    inter_patient_split,
    intra_patient_split,
    split_records,
)

with logged(snakemake) as log:
    params = snakemake.params.split
    scheme = snakemake.params.scheme
    with np.load(snakemake.input.dataset) as data:
        labels = data["labels"]
        records = data["records"].astype(str)
        class_names = [str(c) for c in data["class_names"]]
    if scheme == "intra":
        split = intra_patient_split(
            labels,
            class_names,
            test_fraction=params["test_fraction"],
            validation_fraction=params["validation_fraction"],
            seed=params["seed"],
        )
    else:
        split = inter_patient_split(
            labels,
            records,
            class_names,
            train_records=params["train_records"],
            test_records=params["test_records"],
            excluded_records=params["excluded_records"],
            validation_fraction=params["validation_fraction"],
            seed=params["seed"],
        )
        used = set().union(*split_records(records, split).values())
        unused = sorted(set(records.tolist()) - used)
        if unused:
            log.info("records not used by the inter-patient split: %s", ", ".join(unused))
    if split.excluded_classes:
        log.warning(
            "class(es) %s occur only in records the split leaves out (%s); they have no beats "
            "in any part: their outputs are not trained and their test metrics are empty",
            ", ".join(split.excluded_classes),
            ", ".join(params.get("excluded_records", [])),
        )
    if split.missing_in_validation:
        log.warning(
            "class(es) %s have no beats in the validation records; they stay in training and "
            "validation macro-F1 averages over the other classes",
            ", ".join(split.missing_in_validation),
        )
    for part, ids in split_records(records, split).items():
        log.info("%s: %d beats from %d records", part, getattr(split, part).size, len(ids))
        if scheme == "inter":
            log.info("%s records: %s", part, ", ".join(ids))
    np.savez_compressed(
        snakemake.output.split,
        train=split.train,
        validation=split.validation,
        test=split.test,
        class_names=np.array(class_names),
        missing_in_validation=np.array(split.missing_in_validation, dtype=str),
        excluded_classes=np.array(split.excluded_classes, dtype=str),
    )
    table = class_count_table(labels, split, class_names)
    columns = ["train", "validation", "test", "total"]
    with open(snakemake.output.counts, "w", encoding="utf-8") as handle:
        handle.write("class\t" + "\t".join(columns) + "\n")
        for i, name in enumerate(class_names):
            handle.write(name + "\t" + "\t".join(str(table[c][i]) for c in columns) + "\n")
        handle.write("all\t" + "\t".join(str(table[c].sum()) for c in columns) + "\n")
