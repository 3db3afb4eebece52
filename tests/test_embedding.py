"""UMAP of CNN features: point cap per class, feature extraction, reproducible embedding; the
embed_umap and plot_umap stages."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt
from test_artifacts_model import save_predictions, small_config, write_dataset
from test_metrics import assert_png

from ecgbeats import embedding, plots
from ecgbeats.artifacts import PREDICTIONS, UMAP_COLUMNS, read_umap_table, save_checkpoint
from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN
from ecgbeats.stages.embedding import UmapOptions, embed_umap
from ecgbeats.stages.interpret_figures import plot_umap


@pytest.mark.parametrize(
    ("counts", "cap"),
    [
        ([5000, 300, 20, 1000], 2000),
        ([10, 10, 10], 7),
        ([1, 2, 3, 1000, 1001], 503),
        ([100, 50], 1000),
    ],
)
def test_class_quotas_keep_minorities_and_fill_the_cap(counts: list[int], cap: int) -> None:
    counts_array = np.asarray(counts)
    quotas = embedding.class_quotas(counts_array, cap)
    assert quotas.sum() == min(cap, counts_array.sum())
    assert np.all(quotas <= counts_array)
    subsampled = quotas < counts_array
    if subsampled.any():
        # Every subsampled class gets (about) the same share, at least as much as any class
        # kept whole: minority classes are never cut while a larger class has more.
        cut = quotas[subsampled]
        assert cut.max() - cut.min() <= 1
        kept_whole = counts_array[~subsampled]
        assert kept_whole.size == 0 or cut.min() >= kept_whole.max()


def test_class_quotas_rejects_a_cap_below_one() -> None:
    with pytest.raises(InputError, match="cap on UMAP points must be >= 1"):
        embedding.class_quotas(np.array([3, 4]), 0)


def test_cap_points_draws_per_class_reproducibly() -> None:
    rng = np.random.default_rng(0)
    labels = rng.choice(4, size=3000, p=[0.85, 0.1, 0.04, 0.01])
    chosen = embedding.cap_points(labels, 400, seed=3)
    assert np.all(np.diff(chosen) > 0)  # sorted, no repeats
    expected = embedding.class_quotas(np.bincount(labels), 400)
    assert np.array_equal(np.bincount(labels[chosen], minlength=4), expected)
    # The rarest class (about 30 beats) is kept whole.
    assert np.array_equal(np.flatnonzero(labels == 3), chosen[labels[chosen] == 3])
    assert np.array_equal(chosen, embedding.cap_points(labels, 400, seed=3))
    assert not np.array_equal(chosen, embedding.cap_points(labels, 400, seed=4))


def _small_model(k: int = 4) -> BeatCNN:
    torch.manual_seed(0)
    return BeatCNN(small_config(k, channels=(4, 4, 8, 8, 8, 8), hidden=(16, 12, 10))).eval()


def test_extract_features_is_the_last_hidden_layer_or_the_logits() -> None:
    model = _small_model()
    beats = np.random.default_rng(1).normal(size=(7, 300)).astype(np.float32)
    hidden = embedding.extract_features(model, beats, "hidden", batch_size=3)
    logits = embedding.extract_features(model, beats, "logits", batch_size=3)
    assert hidden.shape == (7, 10) and logits.shape == (7, 4)
    with torch.no_grad():
        x = torch.from_numpy(beats)
        assert np.allclose(hidden, model.features(x).numpy(), atol=1e-6)
        assert np.allclose(logits, model(x).numpy(), atol=1e-6)
    with pytest.raises(InputError, match="layer to embed must be one of"):
        embedding.extract_features(model, beats, "conv")
    for size in (1, 7):
        again = embedding.extract_features(model, beats, "hidden", batch_size=size)
        np.testing.assert_allclose(again, hidden, rtol=1e-5, atol=1e-6)


def _clusters(n_per: int = 60, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(k, 12))
    labels = np.repeat(np.arange(k), n_per)
    return (centres[labels] + rng.normal(size=(labels.size, 12))).astype(np.float32), labels


def test_umap_is_reproducible_for_a_fixed_seed_and_keeps_clusters_apart() -> None:
    features, labels = _clusters()
    first = embedding.umap_embedding(features, seed=7, n_neighbors=10)
    second = embedding.umap_embedding(features, seed=7, n_neighbors=10)
    other = embedding.umap_embedding(features, seed=8, n_neighbors=10)
    assert first.shape == (features.shape[0], 2) and first.dtype == np.float32
    assert np.array_equal(first, second)
    assert not np.allclose(first, other)
    # Separated clusters stay separated in 2-D: each point's nearest neighbour shares its label.
    distances = np.linalg.norm(first[:, None] - first[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    assert np.mean(labels[distances.argmin(axis=1)] == labels) > 0.95


def test_umap_rejects_too_few_points_and_bad_settings() -> None:
    with pytest.raises(InputError, match="at least 3"):
        embedding.umap_embedding(np.zeros((2, 4), np.float32), seed=0)
    features, _ = _clusters(n_per=5)
    with pytest.raises(InputError, match="at least 2 neighbours"):
        embedding.umap_embedding(features, seed=0, n_neighbors=1)
    with pytest.raises(InputError, match="UMAP distance metric 'nowhere'"):
        embedding.umap_embedding(features, seed=0, metric="nowhere")


def test_embedding_table_and_figure() -> None:
    points = np.arange(12, dtype=np.float32).reshape(6, 2)
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    probabilities = np.full((6, 3), 0.1)
    probabilities[np.arange(6), y_pred] = 0.8
    table = embedding.embedding_table(
        points,
        np.arange(10, 16),
        y_true,
        y_pred,
        probabilities,
        ["NOR", "PVC", "PAC"],
        records=np.array(["100"] * 6),
        samples=np.arange(6) * 360,
    )
    assert tuple(table.columns) == UMAP_COLUMNS
    assert list(table.columns[3:5]) == ["umap_1", "umap_2"]
    assert table["correct"].tolist() == [True, False, True, True, True, False]
    assert table["predicted_class"].tolist()[5] == "NOR"
    assert np.allclose(table["confidence"], 0.8)
    figure = plots.umap_scatter(points, y_true, y_pred, ["NOR", "PVC", "PAC"], "t")
    legend_text = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "NOR: 2 true / 2 predicted" in legend_text
    assert "misclassified: 2 of 6" in legend_text
    plt.close(figure)


UMAP_OPTIONS = UmapOptions(
    layer="hidden", max_points=40, n_neighbors=10, min_dist=0.1, metric="euclidean", seed=3
)


def _predicted(directory: Path) -> dict[str, Path]:
    """Dataset, checkpoint and predictions of a small model on 60 test beats of 3 classes."""
    names = ["NOR", "NA", "PAC"]  # a class called NA stays a class through the UMAP table
    features, labels = _clusters(n_per=30, k=3, seed=1)
    beats = np.repeat(features, 25, axis=1)  # 12 features -> 300 samples
    model = _small_model(3)
    files = {
        "dataset": write_dataset(directory / "six.npz", beats, labels, names, record="107"),
        "model": directory / "model.pt",
        "predictions": directory / "predictions.npz",
    }
    save_checkpoint(files["model"], model, names)
    test = np.arange(10, 90)
    save_predictions(files["predictions"], model, beats, labels, test, names)
    return files


def test_embed_umap_and_plot_umap_stages(tmp_path: Path) -> None:
    files = _predicted(tmp_path)
    table = tmp_path / "interpret" / "umap.tsv"
    embed_umap(files["dataset"], files["predictions"], files["model"], table, UMAP_OPTIONS)
    points = read_umap_table(table)
    saved = PREDICTIONS.load(files["predictions"])
    assert len(points) == 40  # max_points
    assert set(points["dataset_index"]) <= set(saved["index"].tolist())
    assert set(points["record"]) == {"107"}
    np.testing.assert_array_equal(points["sample"], points["dataset_index"] * 300)
    position = {i: p for p, i in enumerate(saved["index"])}
    rows = [position[i] for i in points["dataset_index"]]
    names = np.asarray(["NOR", "NA", "PAC"])
    assert points["true_class"].tolist() == names[saved["y_true"][rows]].tolist()
    assert np.isfinite(points[["umap_1", "umap_2"]].to_numpy()).all()
    # Reproducible: the same options give the same file.
    again = tmp_path / "again.tsv"
    embed_umap(files["dataset"], files["predictions"], files["model"], again, UMAP_OPTIONS)
    assert again.read_bytes() == table.read_bytes()

    figure = tmp_path / "umap.png"
    plot_umap(table, files["predictions"], figure, layer="hidden", task="six", split="intra")
    assert_png(figure)


def test_umap_stages_refuse_inputs_out_of_date(tmp_path: Path) -> None:
    files = _predicted(tmp_path)
    table = tmp_path / "umap.tsv"
    small = write_dataset(
        tmp_path / "small.npz", np.zeros((5, 300)), np.zeros(5), ["NOR", "NA", "PAC"]
    )
    with pytest.raises(InputError, match="predictions.npz: indexes outside the 5 rows"):
        embed_umap(small, files["predictions"], files["model"], table, UMAP_OPTIONS)
    embed_umap(files["dataset"], files["predictions"], files["model"], table, UMAP_OPTIONS)
    points = read_umap_table(table)
    points.assign(true_class="XYZ").to_csv(table, sep="\t", index=False)
    with pytest.raises(InputError, match=r"classes \['XYZ'\] are not among"):
        plot_umap(table, files["predictions"], tmp_path / "u.png", "hidden", "six", "intra")
