"""The UMAP stage: the CNN's last hidden layer (or logits) of the test beats in two dimensions.

A module of its own (not with the SHAP stage), so that the rule's library inputs are only what
it uses: editing the SHAP code reruns no UMAP. Its figure comes from
ecgbeats.stages.interpret_figures.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgbeats import embedding
from ecgbeats.artifacts import PREDICTIONS, load_rows_of, write_umap_table
from ecgbeats.model import dataset_inputs, load_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UmapOptions:
    """What is embedded (``layer``: hidden or logits; at most ``max_points`` beats, shared out
    by class) and umap-learn's settings; ``seed`` draws the beats and seeds UMAP."""

    layer: str
    max_points: int
    n_neighbors: int
    min_dist: float
    metric: str
    seed: int


def embed_umap(
    dataset: str | Path,
    predictions: str | Path,
    model: str | Path,
    table: str | Path,
    options: UmapOptions,
) -> None:
    """Embed (up to ``max_points`` of) the predicted test beats; write the UMAP table."""
    data, saved, names = load_rows_of(dataset, PREDICTIONS, predictions, ("index",))
    index, y_true, y_pred = saved["index"], saved["y_true"], saved["y_pred"]
    network, _ = load_model(model, expected_class_names=names)

    chosen = embedding.cap_points(y_true, options.max_points, options.seed)
    kept = np.bincount(y_true[chosen], minlength=len(names)).tolist()
    logger.info(
        "%d of %d test beats embedded (at most %d), per class: %s",
        chosen.size,
        index.size,
        options.max_points,
        dict(zip(names, kept, strict=True)),
    )
    rows = index[chosen]
    features = embedding.extract_features(
        network, dataset_inputs(network.config, data, rows), layer=options.layer
    )
    logger.info("features: %s from layer %r", features.shape, options.layer)
    points = embedding.umap_embedding(
        features,
        seed=options.seed,
        n_neighbors=options.n_neighbors,
        min_dist=options.min_dist,
        metric=options.metric,
    )
    write_umap_table(
        table,
        embedding.embedding_table(
            points,
            rows,
            y_true[chosen],
            y_pred[chosen],
            saved["probabilities"][chosen],
            names,
            records=data["records"][rows],
            samples=data["samples"][rows],
        ),
    )
