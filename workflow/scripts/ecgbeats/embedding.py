"""UMAP of the CNN's learned features (the paper's Figure 7).

The activations of the last hidden fully connected layer (or the logits) of test beats are reduced
to two dimensions with umap-learn. A cap on the number of points keeps the stage fast; the cap is
shared out so that minority classes keep all of their beats and only the large classes are
subsampled.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from ecgbeats.artifacts import UMAP_COLUMNS
from ecgbeats.errors import InputError
from ecgbeats.model import INFERENCE_BATCH, batched_outputs

LAYERS = ("hidden", "logits")


def class_quotas(counts: np.ndarray, cap: int) -> np.ndarray:
    """Beats to keep per class so that the total is at most `cap`, small classes first.

    Water-filling: every class gets the same quota q, or all of its beats when it has fewer; q is
    the largest value that fits in `cap`, and the remainder goes to the largest classes.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if cap < 1:
        raise InputError(f"the cap on UMAP points must be >= 1, got {cap}")
    if counts.sum() <= cap:
        return counts.copy()
    quotas = np.zeros_like(counts)
    remaining = int(cap)
    # From the smallest class up: each takes all its beats or an equal share of what is left.
    order = np.argsort(counts, kind="stable")
    for position, c in enumerate(order):
        share = remaining // (len(order) - position)
        quotas[c] = min(int(counts[c]), share)
        remaining -= int(quotas[c])
    # Integer division leaves at most one beat per class unused; hand it to the largest classes.
    for c in order[::-1]:
        if remaining == 0:
            break
        extra = min(remaining, int(counts[c] - quotas[c]))
        quotas[c] += extra
        remaining -= extra
    return quotas


def cap_points(labels: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Sorted positions of at most `cap` beats, drawn per class with :func:`class_quotas`."""
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    quotas = class_quotas(counts, cap)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == c), size=q, replace=False)
        for c, q in zip(classes, quotas, strict=True)
    ]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def extract_features(
    model: torch.nn.Module,
    beats: np.ndarray,
    layer: str = "hidden",
    batch_size: int = INFERENCE_BATCH,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Activations (n, d) float32 of the input rows `beats` (n, W; ecgbeats.model.model_inputs)
    at `layer` (``hidden`` or ``logits``).

    ``hidden`` is the model's ``features`` method: the last hidden fully connected layer (the
    joint layer of beat and RR features when the model has an RR branch).
    """
    if layer not in LAYERS:
        raise InputError(f"the layer to embed must be one of {LAYERS}, got {layer!r}")
    beats = np.asarray(beats, dtype=np.float32)
    if beats.ndim != 2:
        raise InputError(f"beats must be shaped (n, length), got {beats.shape}")
    features = batched_outputs(model, beats, batch_size, device, _LAYER_OUTPUTS[layer])
    return features.astype(np.float32, copy=False)


def _hidden(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return model.features(batch).float()


def _logits(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return model(batch).float()


_LAYER_OUTPUTS = {"hidden": _hidden, "logits": _logits}


def umap_embedding(
    features: np.ndarray,
    seed: int,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "euclidean",
) -> np.ndarray:
    """2-D UMAP (n, 2) float32 of `features` (n, d); the same seed gives the same embedding.

    The k nearest neighbours are computed exactly with scikit-learn and handed to umap-learn:
    deterministic, and it spares pynndescent's numba compilation (about half of the stage's
    time on 2 cores). umap-learn runs single-threaded when seeded, which makes it reproducible.
    """
    import umap  # imported here: numba compiles on import, a few seconds not every caller needs
    from sklearn.neighbors import NearestNeighbors

    features = np.asarray(features, dtype=np.float32)
    n = features.shape[0]
    if features.ndim != 2 or n < 3:
        raise InputError(f"UMAP needs at least 3 beats with features, got shape {features.shape}")
    if n_neighbors < 2:
        raise InputError(f"UMAP needs at least 2 neighbours per point, got {n_neighbors}")
    # umap-learn requires n_neighbors < n; small test sets get a smaller neighbourhood.
    neighbours = int(min(n_neighbors, n - 1))
    try:
        distances, indices = (
            NearestNeighbors(n_neighbors=neighbours, metric=metric)
            .fit(features)
            .kneighbors(features)
        )
    except ValueError as error:
        raise InputError(f"UMAP distance metric {metric!r}: {error}") from error
    reducer = umap.UMAP(
        n_components=2,
        n_jobs=1,  # what a random_state implies anyway; said explicitly to avoid a warning
        n_neighbors=neighbours,
        min_dist=float(min_dist),
        metric=metric,
        random_state=int(seed),
        precomputed_knn=(indices, distances.astype(np.float32), None),
        # The spectral init needs a connected graph of more points than components.
        init="spectral" if n > 10 else "random",
    )
    with warnings.catch_warnings():
        # Without an NNDescent index umap-learn cannot `transform` new data; not needed here.
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        return reducer.fit_transform(features).astype(np.float32)


def embedding_table(
    embedding: np.ndarray,
    index: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    records: np.ndarray,
    samples: np.ndarray,
) -> pd.DataFrame:
    """One row per embedded beat (columns ecgbeats.artifacts.UMAP_COLUMNS): its origin, 2-D
    position, true and predicted class, whether they agree, the predicted class's probability."""
    names = np.asarray([str(c) for c in class_names])
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    table = pd.DataFrame({"dataset_index": np.asarray(index, dtype=np.int64)})
    table["record"] = np.asarray(records).astype(str)
    table["sample"] = np.asarray(samples, dtype=np.int64)
    table["umap_1"] = embedding[:, 0]
    table["umap_2"] = embedding[:, 1]
    table["true_class"] = names[y_true]
    table["predicted_class"] = names[y_pred]
    table["correct"] = y_true == y_pred
    table["confidence"] = np.asarray(probabilities)[np.arange(len(y_pred)), y_pred]
    return table[list(UMAP_COLUMNS)]
