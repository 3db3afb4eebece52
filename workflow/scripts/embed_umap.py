"""UMAP of the CNN's last hidden layer (or logits) for the test beats: TSV table.

The figure comes from plot_umap.py (rule plot_umap).
"""

import numpy as np

from _common import load_predictions, logged, set_torch_threads
from ecgbeats import embedding
from ecgbeats.errors import InputError
from ecgbeats.model import load_checkpoint

with logged(snakemake) as log:
    set_torch_threads(snakemake.threads)
    p = snakemake.params
    predictions = load_predictions(snakemake.input.predictions)
    index, y_true, y_pred = predictions["index"], predictions["y_true"], predictions["y_pred"]
    probabilities, class_names = predictions["probabilities"], predictions["class_names"]
    with np.load(snakemake.input.dataset, allow_pickle=False) as data:
        beats = data["beats"]
        records = data["records"]
        samples = data["samples"]
    if index.size and (index.min() < 0 or index.max() >= len(beats)):
        raise InputError(
            f"{snakemake.input.predictions}: indexes outside the {len(beats)} beats of "
            f"{snakemake.input.dataset} (predictions and dataset out of date?)"
        )
    model, _ = load_checkpoint(snakemake.input.model, expected_class_names=class_names)

    chosen = embedding.cap_points(y_true, p.max_points, p.seed)
    kept = np.bincount(y_true[chosen], minlength=len(class_names)).tolist()
    log.info(
        "%d of %d test beats embedded (config key 'umap.max_points' = %d), per class: %s",
        chosen.size,
        index.size,
        p.max_points,
        dict(zip(class_names, kept, strict=True)),
    )
    rows = index[chosen]
    features = embedding.extract_features(model, beats[rows], layer=p.layer)
    log.info("features: %s from layer %r", features.shape, p.layer)
    points = embedding.umap_embedding(
        features, seed=p.seed, n_neighbors=p.n_neighbors, min_dist=p.min_dist, metric=p.metric
    )
    table = embedding.embedding_table(
        points,
        rows,
        y_true[chosen],
        y_pred[chosen],
        probabilities[chosen],
        class_names,
        records=records[rows],
        samples=samples[rows],
    )
    table.to_csv(snakemake.output.table, sep="\t", index=False, float_format="%.6g")
