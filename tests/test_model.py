"""The beat CNN: shapes, softmax, batched inference, features and loading checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_artifacts_model import cnn_config, small_config

from ecgbeats.artifacts import save_checkpoint
from ecgbeats.errors import InputError
from ecgbeats.model import (
    BeatCNN,
    CNNConfig,
    batched_outputs,
    load_model,
    predict_proba,
    resolve_device,
)

NAMES = ["NOR", "PVC", "PAC"]


def small_model(n_classes: int = 3, seed: int = 0, **extra: object) -> BeatCNN:
    torch.manual_seed(seed)
    return BeatCNN(small_config(n_classes, **extra))


def test_architecture_follows_the_paper() -> None:
    model = BeatCNN(cnn_config(6))
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
    with pytest.raises(InputError, match="CNN model settings: channels must be 6"):
        small_config(3, channels=(4, 4, 8))
    with pytest.raises(InputError, match="kernel_size must be odd"):
        small_config(3, kernel_size=4)
    with pytest.raises(TypeError):  # every setting is given: no defaults besides config.yaml
        CNNConfig(n_classes=3)  # type: ignore[call-arg]


def _steps() -> BeatCNN:
    """A small model with non-trivial BatchNorm statistics and dropout, in training mode."""
    model = small_model(dropout=0.3).train()
    with torch.no_grad():
        model(torch.randn(64, 300) * 3 + 1)
    return model


@pytest.mark.parametrize("what", ["logits", "probabilities", "features"])
def test_batched_outputs_do_not_depend_on_the_batch_size(what: str) -> None:
    model = _steps()
    beats = np.random.default_rng(2).standard_normal((23, 300)).astype(np.float32)
    fn = {
        "logits": None,
        "probabilities": lambda m, x: torch.softmax(m(x), dim=1),
        "features": lambda m, x: m.features(x),
    }[what]
    results = {size: batched_outputs(model, beats, size, "cpu", fn) for size in (1, 7, 23)}
    assert model.training  # the mode is restored
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(beats)
        call = fn or (lambda m, b: m(b))
        whole = call(model, x).numpy()
        # Batch by batch, the helper's outputs are exactly those of the model on each batch.
        sevens = np.concatenate([call(model, x[s : s + 7]).numpy() for s in range(0, 23, 7)])
    np.testing.assert_array_equal(results[23], whole)
    np.testing.assert_array_equal(results[7], sevens)
    # Other batch sizes may pick other kernels: equal up to float32 rounding.
    for result in results.values():
        assert result.shape == whole.shape and result.dtype == np.float32
        np.testing.assert_allclose(result, whole, rtol=1e-5, atol=1e-6)
    # Tensors shaped for the model give the same outputs as numpy beats.
    as_tensor = batched_outputs(model, torch.from_numpy(beats)[:, None, :], 7, "cpu", fn)
    np.testing.assert_array_equal(as_tensor, results[7])


def test_batched_outputs_in_training_mode_update_batch_norm() -> None:
    model = small_model().eval()
    norm = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d))
    before = norm.running_mean.clone()
    beats = np.random.default_rng(3).standard_normal((10, 300)).astype(np.float32) + 2
    batched_outputs(model, beats, 4, "cpu", train=True)
    assert not torch.equal(norm.running_mean, before)
    assert not model.training  # restored to evaluation mode
    assert batched_outputs(model, beats[:0], 4, "cpu").shape == (0, 0)
    with pytest.raises(InputError, match="batch_size must be >= 1"):
        batched_outputs(model, beats, 0, "cpu")


def test_reloaded_checkpoint_predicts_identically(tmp_path: Path) -> None:
    model = small_model(dropout=0.2)
    # Non-trivial BatchNorm statistics, so that buffers must round-trip too.
    model.train()
    model(torch.randn(64, 300) * 3 + 1)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, NAMES)
    loaded, names = load_model(path, expected_class_names=NAMES)
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
        load_model(path)
    with pytest.raises(InputError, match="no such file"):
        load_model(tmp_path / "missing.pt")


def test_mismatched_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    save_checkpoint(path, small_model(), NAMES)
    with pytest.raises(InputError, match=r"model.pt: class names .* differ"):
        load_model(path, expected_class_names=["NOR", "PAC", "PVC"])
    data = torch.load(path, weights_only=True)
    data["config"]["hidden"] = [32, 8, 6]
    torch.save(data, path)
    with pytest.raises(InputError, match="weights do not fit"):
        load_model(path)
    data["config"]["kernel_size"] = 4
    torch.save(data, path)
    with pytest.raises(InputError, match="invalid model config: CNN model settings"):
        load_model(path)
    torch.save({"weights": 1}, path)
    with pytest.raises(InputError, match="expected keys"):
        load_model(path)


def test_cuda_requested_but_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(InputError, match="CUDA is not available"):
        resolve_device("cuda")
