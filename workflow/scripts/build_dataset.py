"""Snakemake glue: per-record beats -> one labelled dataset for a task."""

import numpy as np

from _common import logged
from ecgbeats.classes import label_symbols, require_all_classes

with logged(snakemake) as log:
    task = snakemake.wildcards.task
    parts: dict[str, list[np.ndarray]] = {
        k: []
        for k in ("beats", "labels", "records", "symbols", "samples", "rr_previous", "rr_next")
    }
    names: list[str] = []
    for path in snakemake.input.beats:
        with np.load(path) as data:
            in_task, labels, names = label_symbols(data["symbols"], snakemake.params.class_map)
            parts["beats"].append(data["beats"][in_task])
            parts["labels"].append(labels)
            parts["records"].append(np.full(labels.size, str(data["record"])))
            for key in ("symbols", "samples", "rr_previous", "rr_next"):
                parts[key].append(data[key][in_task])
    dataset = {key: np.concatenate(values) for key, values in parts.items()}
    require_all_classes(dataset["labels"], names, task, "the configured records")
    np.savez_compressed(snakemake.output.dataset, class_names=np.array(names), **dataset)
    counts = np.bincount(dataset["labels"], minlength=len(names))
    with open(snakemake.output.counts, "w") as table:
        table.write("class\tsymbols\tbeats\tshare\n")
        for i, name in enumerate(names):
            symbols = ",".join(s for s, c in snakemake.params.class_map.items() if c == name)
            table.write(f"{name}\t{symbols}\t{counts[i]}\t{counts[i] / counts.sum():.4f}\n")
    per_class = dict(zip(names, counts.tolist(), strict=True))
    log.info("task %s: %d beats; %s", task, counts.sum(), per_class)
