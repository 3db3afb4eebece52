"""Evaluate a trained model on the test part once: metrics table and predictions.

The figures come from plot_evaluation.py (rule plot_evaluation), so editing plotting code
reruns no evaluation.
"""

import numpy as np

from _common import logged, set_torch_threads
from ecgbeats import metrics
from ecgbeats.errors import InputError
from ecgbeats.model import load_checkpoint, predict_proba

with logged(snakemake) as log:
    set_torch_threads(snakemake.threads)
    split_name = snakemake.wildcards.split
    task = snakemake.wildcards.task

    with np.load(snakemake.input.dataset, allow_pickle=False) as data:
        beats = data["beats"]
        labels = data["labels"]
        class_names = [str(c) for c in data["class_names"]]
    with np.load(snakemake.input.split, allow_pickle=False) as parts:
        test = np.asarray(parts["test"], dtype=np.int64)
    if test.size == 0:
        raise InputError(f"{snakemake.input.split}: the test part is empty")
    if test.min() < 0 or test.max() >= len(labels):
        raise InputError(
            f"{snakemake.input.split}: test indexes outside 0..{len(labels) - 1} of "
            f"{snakemake.input.dataset} (split and dataset out of date?)"
        )

    model, _ = load_checkpoint(
        snakemake.input.model, expected_class_names=class_names, device=snakemake.params.device
    )
    probabilities = predict_proba(
        model,
        beats[test],
        batch_size=snakemake.params.batch_size,
        device=snakemake.params.device,
    )
    y_true = labels[test]
    y_pred = probabilities.argmax(axis=1)
    log.info(
        "%s/%s: %d test beats, overall accuracy %.4f",
        split_name,
        task,
        test.size,
        float(np.mean(y_true == y_pred)),
    )

    table = metrics.classification_table(y_true, probabilities, class_names)
    table.to_csv(snakemake.output.metrics, sep="\t", index=False, na_rep="NaN", float_format="%.6f")
    log.info("metrics:\n%s", table.drop(columns="note").to_string(index=False))
    np.savez_compressed(
        snakemake.output.predictions,
        index=test,
        y_true=y_true.astype(np.int64),
        y_pred=y_pred.astype(np.int64),
        probabilities=probabilities.astype(np.float32),
        class_names=np.asarray(class_names),
    )
