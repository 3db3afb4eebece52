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
    dataset_inputs,
    load_model,
    model_inputs,
    predict_beats,
    predict_proba,
    resolve_device,
)
from ecgbeats.prematurity import PrematurityModel, decide
from ecgbeats.rhythm import RR_FEATURES

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


RR = ("previous_to_record", "next_to_record", "previous")
MEDIAN = np.zeros(300, dtype=np.float32)  # a record's median beat (unused: no beat reference)


def rr_inputs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    beats = rng.standard_normal((n, 300)).astype(np.float32)
    rhythm = rng.uniform(0.5, 1.5, (n, len(RR_FEATURES))).astype(np.float32)
    return beats, rhythm


def dataset_arrays(
    beats: np.ndarray, rhythm: np.ndarray, record_ids: list[str], medians: np.ndarray
) -> dict[str, np.ndarray]:
    """A task dataset's arrays (the keys dataset_inputs reads): rows alternate records a, b."""
    return {
        "beats": beats,
        "rr_features": rhythm,
        "labels": np.zeros(len(beats), dtype=np.int64),
        "records": np.array(["a", "b"] * (len(beats) // 2)),
        "record_ids": np.array(record_ids),
        "median_beats": np.asarray(medians, dtype=np.float32),
    }


def test_rr_branch_joins_before_the_hidden_layers() -> None:
    model = small_model(rr_features=RR, rr_hidden=5).eval()
    assert model.config.input_width == 303
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 5  # the RR branch's layer and the paper's four
    # The first hidden layer takes the flattened convolutions and the RR branch's units.
    assert model.hidden[1].in_features == 8 * (300 // 8) + 5
    beats, rhythm = rr_inputs(7)
    inputs = model_inputs(model.config, beats, rhythm, MEDIAN)
    assert inputs.shape == (7, 303)
    np.testing.assert_array_equal(inputs[:, :300], beats)
    np.testing.assert_array_equal(
        inputs[:, 300], rhythm[:, RR_FEATURES.index("previous_to_record")]
    )
    np.testing.assert_array_equal(inputs[:, 302], rhythm[:, RR_FEATURES.index("previous")])
    x = torch.from_numpy(inputs)
    assert model(x).shape == (7, 3) and model.features(x).shape == (7, 6)
    np.testing.assert_allclose(
        predict_beats(model, beats, rhythm, MEDIAN), predict_proba(model, inputs), rtol=1e-6
    )
    # The RR inputs matter: the same beats with other intervals get other outputs.
    other = model_inputs(model.config, beats, rhythm[::-1], MEDIAN)
    assert not np.allclose(model(x).detach(), model(torch.from_numpy(other)).detach())
    with pytest.raises(InputError, match=r"\(batch, 1, 303\)"):
        model(torch.randn(2, 300))
    with pytest.raises(InputError, match="shaped"):
        predict_proba(model, beats)


def test_model_without_rr_branch_takes_the_beats_alone() -> None:
    model = small_model().eval()
    beats, rhythm = rr_inputs(4)
    assert model.rhythm is None and model.config.input_width == 300
    np.testing.assert_array_equal(model_inputs(model.config, beats, rhythm, MEDIAN), beats)
    data = dataset_arrays(beats, rhythm, ["a", "b"], np.ones((2, 300)))
    np.testing.assert_array_equal(
        dataset_inputs(model.config, data, np.array([2, 0])), beats[[2, 0]]
    )


def test_rr_branch_is_deterministic_and_survives_a_checkpoint(tmp_path: Path) -> None:
    first, second = small_model(rr_features=RR, seed=3), small_model(rr_features=RR, seed=3)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    beats, rhythm = rr_inputs(9, seed=1)
    path = tmp_path / "model.pt"
    save_checkpoint(path, first, NAMES)
    loaded, names = load_model(path, NAMES)
    assert names == NAMES and loaded.config.rr_features == RR
    np.testing.assert_allclose(
        predict_beats(loaded, beats, rhythm, MEDIAN),
        predict_beats(first.eval(), beats, rhythm, MEDIAN),
        rtol=1e-6,
    )


def test_rr_settings_are_checked() -> None:
    with pytest.raises(InputError, match="unknown rr_features"):
        small_config(3, rr_features=("heart_rate",))
    with pytest.raises(InputError, match="listed twice"):
        small_config(3, rr_features=("previous", "previous"))
    with pytest.raises(InputError, match="rr_hidden"):
        small_config(3, rr_features=("previous",), rr_hidden=0)


def test_beats_relative_to_their_record_median() -> None:
    model = small_model(beat_reference="record_median").eval()
    beats, rhythm = rr_inputs(4)
    data = dataset_arrays(beats, rhythm, ["b", "a"], np.stack([np.full(300, 2.0), np.ones(300)]))
    inputs = dataset_inputs(model.config, data, np.array([0, 1]))
    np.testing.assert_allclose(inputs[0], beats[0] - 1.0)  # record a
    np.testing.assert_allclose(inputs[1], beats[1] - 2.0)  # record b
    # One recording: one median beat for all its beats.
    one = model_inputs(model.config, beats, rhythm, np.full(300, 0.5, dtype=np.float32))
    np.testing.assert_allclose(one, beats - 0.5)
    with pytest.raises(InputError, match="without a median beat"):
        dataset_inputs(model.config, {**data, "record_ids": np.array(["a"])}, np.array([1]))
    with pytest.raises(InputError, match="median beats shaped"):
        model_inputs(model.config, beats, rhythm, np.zeros(10, dtype=np.float32))
    with pytest.raises(InputError, match="beat_reference"):
        small_config(3, beat_reference="mean")


def test_two_leads_are_the_convolutions_input_channels(tmp_path: Path) -> None:
    model = small_model(leads=2, rr_features=RR, seed=2).eval()
    assert model.config.beat_width == 600 and model.config.input_width == 603
    assert model.conv[0].in_channels == 2
    beats, rhythm = rr_inputs(5)
    second = beats[::-1] * 0.5
    both = np.hstack([beats, second])
    medians = np.concatenate([np.full(300, 1.0), np.full(300, 3.0)]).astype(np.float32)
    with pytest.raises(InputError, match="2 lead"):
        model_inputs(model.config, beats, rhythm, medians)
    inputs = model_inputs(model.config, both, rhythm, medians)
    assert inputs.shape == (5, 603)
    np.testing.assert_array_equal(inputs[:, :600], both)
    # Row layout [lead 1 | lead 2 | RR] becomes channels 0 and 1: the first convolution sees
    # exactly what it sees when given the two leads stacked by hand.
    stacked = torch.from_numpy(np.stack([beats, second], axis=1))
    by_hand = model.conv[0](stacked)
    x = torch.from_numpy(inputs)
    rows = x[:, :600].reshape(5, 2, 300)
    torch.testing.assert_close(model.conv[0](rows), by_hand)
    # Both leads matter.
    swapped = torch.from_numpy(
        model_inputs(model.config, np.hstack([second, beats]), rhythm, 0 * medians)
    )
    assert not torch.allclose(model(x), model(swapped))
    # The median beat of each lead is subtracted from that lead.
    relative = small_model(leads=2, beat_reference="record_median").eval()
    np.testing.assert_allclose(
        model_inputs(relative.config, both, rhythm, medians), both - medians, rtol=1e-6
    )
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, NAMES)
    loaded, _ = load_model(path, NAMES)
    assert loaded.config.leads == 2
    np.testing.assert_allclose(
        predict_proba(loaded, inputs), predict_proba(model, inputs), rtol=1e-6
    )
    with pytest.raises(InputError, match="leads must be >= 1"):
        small_config(3, leads=0)


# --- the premature-beat decision (ecgbeats.prematurity) ---------------------------------------

TIMED = ("local", "previous", "record", "next", "previous_to_record")
DECISION = PrematurityModel(normal=0, premature=2, coefficients=(-3, 1, 2), intercept=0.5)


def test_predict_proba_applies_the_models_decision(tmp_path: Path) -> None:
    model = small_model(rr_features=TIMED, seed=4)
    beats, rhythm = rr_inputs(12, seed=2)
    alone = predict_beats(model, beats, rhythm, MEDIAN)
    model.set_prematurity(DECISION)
    decided = predict_beats(model, beats, rhythm, MEDIAN)
    # The decision reads the beats' RR features, all of them, whichever the network takes.
    np.testing.assert_allclose(decided, decide(DECISION, alone, rhythm, RR_FEATURES), rtol=1e-6)
    inputs = model_inputs(model.config, beats, rhythm, MEDIAN)
    with pytest.raises(InputError, match="premature-beat decision needs RR features"):
        predict_proba(model, inputs)
    assert not np.allclose(decided, alone)
    np.testing.assert_allclose(decided[:, 1], alone[:, 1], rtol=1e-6)
    # The logits, the features of UMAP and SHAP's outputs stay the network's own.
    inputs = torch.from_numpy(model_inputs(model.config, beats, rhythm, MEDIAN))
    np.testing.assert_allclose(
        torch.softmax(model.eval()(inputs), 1).detach().numpy(), alone, rtol=1e-5
    )
    # Stored with the checkpoint and applied again after loading.
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, NAMES)
    loaded, _ = load_model(path, NAMES)
    assert loaded.prematurity == DECISION
    np.testing.assert_allclose(predict_beats(loaded, beats, rhythm, MEDIAN), decided, rtol=1e-6)
    model.set_prematurity(None)
    np.testing.assert_allclose(predict_beats(model, beats, rhythm, MEDIAN), alone, rtol=1e-6)


def test_a_decision_must_fit_the_model(tmp_path: Path) -> None:
    beyond = PrematurityModel(0, 3, DECISION.coefficients, DECISION.intercept)
    with pytest.raises(InputError, match="classes 0 and 3 of a model with 3"):
        small_model(rr_features=TIMED).set_prematurity(beyond)
    # A checkpoint whose decision does not fit its model is refused, naming the file.
    model = small_model(rr_features=TIMED)
    model.set_prematurity(DECISION)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, NAMES)
    data = torch.load(path, weights_only=True)
    torch.save(data | {"prematurity": beyond.to_dict()}, path)
    with pytest.raises(InputError, match=r"model.pt: premature-beat decision on classes 0 and 3"):
        load_model(path)
    torch.save(data | {"prematurity": [1, 2]}, path)
    with pytest.raises(InputError, match=r"model.pt: invalid premature-beat decision"):
        load_model(path)
