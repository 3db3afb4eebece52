"""The beat CNN: shapes, softmax, features and checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ecgbeats.errors import InputError
from ecgbeats.model import (
    BeatCNN,
    CNNConfig,
    load_checkpoint,
    predict_proba,
    resolve_device,
    save_checkpoint,
)

SMALL = {"channels": (4, 4, 8, 8, 8, 8), "hidden": (16, 8, 6)}
NAMES = ["NOR", "PVC", "PAC"]


def small_model(n_classes: int = 3, seed: int = 0, **extra: object) -> BeatCNN:
    torch.manual_seed(seed)
    return BeatCNN(CNNConfig(n_classes=n_classes, **{**SMALL, **extra}))


def test_architecture_follows_the_paper() -> None:
    model = BeatCNN(CNNConfig(n_classes=6))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    pools = [m for m in model.modules() if isinstance(m, torch.nn.MaxPool1d)]
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(convs) == 6 and all(c.kernel_size == (3,) for c in convs)
    assert len(norms) == 6 and len(pools) == 3 and len(linears) == 4
    # Pooling follows convolutions 2, 4 and 6.
    kinds = [type(m).__name__ for m in model.conv]
    conv_positions = [i for i, k in enumerate(kinds) if k == "Conv1d"]
    pool_positions = [i for i, k in enumerate(kinds) if k == "MaxPool1d"]
    assert pool_positions == [conv_positions[i] + 3 for i in (1, 3, 5)]
    assert linears[-1].out_features == 6


@pytest.mark.parametrize("shape", [(5, 300), (5, 1, 300)])
def test_output_shape_and_softmax(shape: tuple[int, ...]) -> None:
    model = small_model().eval()
    x = torch.randn(*shape)
    assert model(x).shape == (5, 3)
    assert model.features(x).shape == (5, 6)
    assert (model.features(x) >= 0).all()  # after the last hidden ReLU
    probabilities = predict_proba(model, x.reshape(5, 300).numpy(), batch_size=2)
    assert probabilities.shape == (5, 3) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (probabilities >= 0).all()


def test_predict_proba_restores_training_mode_and_rejects_bad_shapes() -> None:
    model = small_model().train()
    predict_proba(model, np.zeros((2, 300), dtype=np.float32))
    assert model.training
    with pytest.raises(InputError, match=r"\(n, 300\)"):
        predict_proba(model, np.zeros((2, 299), dtype=np.float32))
    with pytest.raises(InputError, match="300"):
        model(torch.zeros(2, 2, 300))


def test_config_rejects_bad_widths() -> None:
    with pytest.raises(InputError, match="channels must be 6"):
        CNNConfig(n_classes=3, channels=(4, 4, 8))
    with pytest.raises(InputError, match="kernel_size must be odd"):
        CNNConfig(n_classes=3, kernel_size=4)


def test_reloaded_checkpoint_predicts_identically(tmp_path: Path) -> None:
    model = small_model(dropout=0.2)
    # Non-trivial BatchNorm statistics, so that buffers must round-trip too.
    model.train()
    model(torch.randn(64, 300) * 3 + 1)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, NAMES)
    loaded, names = load_checkpoint(path, expected_class_names=NAMES)
    assert names == NAMES and loaded.config == model.config and not loaded.training
    beats = np.random.default_rng(1).standard_normal((40, 300)).astype(np.float32)
    np.testing.assert_array_equal(predict_proba(model, beats), predict_proba(loaded, beats))
    # A plain weights-only dict: loadable without pickled classes.
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"state_dict", "config", "class_names"}


def test_corrupt_checkpoint_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.pt"
    save_checkpoint(path, small_model(), NAMES)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InputError, match="broken.pt"):
        load_checkpoint(path)
    with pytest.raises(InputError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_mismatched_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    save_checkpoint(path, small_model(), NAMES)
    with pytest.raises(InputError, match=r"model.pt: class names .* differ"):
        load_checkpoint(path, expected_class_names=["NOR", "PAC", "PVC"])
    data = torch.load(path, weights_only=True)
    data["config"]["hidden"] = [32, 8, 6]
    torch.save(data, path)
    with pytest.raises(InputError, match="weights do not fit"):
        load_checkpoint(path)
    torch.save({"weights": 1}, path)
    with pytest.raises(InputError, match="expected keys"):
        load_checkpoint(path)


def test_cuda_requested_but_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(InputError, match="CUDA is not available"):
        resolve_device("cuda")
