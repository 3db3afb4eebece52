"""Snakemake glue: balance the training part, train the CNN, keep the best-on-validation model."""

import numpy as np

from _common import logged, set_torch_threads
from ecgbeats.balancing import balance
from ecgbeats.model import CNNConfig, save_checkpoint
from ecgbeats.training import TrainConfig, train_model, write_history

with logged(snakemake) as log:
    set_torch_threads(snakemake.threads)
    with np.load(snakemake.input.dataset) as data:
        beats = data["beats"]
        labels = data["labels"]
        class_names = [str(c) for c in data["class_names"]]
    with np.load(snakemake.input.split) as split:
        train_index = split["train"]
        validation_index = split["validation"]
        excluded_classes = tuple(str(c) for c in split["excluded_classes"])
    balance_params = snakemake.params.balance
    # Only the training part is balanced: validation and test keep the natural class mix.
    balanced = balance(
        beats[train_index],
        labels[train_index],
        class_names,
        method=balance_params["method"],
        sampling_strategy=balance_params["sampling_strategy"],
        k_neighbors=balance_params["k_neighbors"],
        seed=balance_params["seed"],
        excluded_classes=excluded_classes,
    )
    before = np.bincount(labels[train_index], minlength=len(class_names))
    after = np.bincount(balanced.labels, minlength=len(class_names))
    log.info(
        "balancing (%s): %s",
        balance_params["method"],
        ", ".join(f"{n} {b}->{a}" for n, b, a in zip(class_names, before, after, strict=True)),
    )
    if balanced.class_weights is not None:
        log.info("class weights: %s", np.round(balanced.class_weights, 4).tolist())
    model_config = CNNConfig(
        n_classes=len(class_names), input_length=beats.shape[1], **snakemake.params.model
    )
    train_config = TrainConfig(**snakemake.params.train)
    result = train_model(
        balanced.beats,
        balanced.labels,
        beats[validation_index],
        labels[validation_index],
        model_config,
        train_config,
        class_weights=balanced.class_weights,
    )
    save_checkpoint(snakemake.output.model, result.model, class_names)
    write_history(snakemake.output.history, result.history)
    log.info("saved the model of epoch %d to %s", result.best_epoch, snakemake.output.model)
