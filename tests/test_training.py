"""Training loop (determinism, model selection, history); the rules' stages are in
tests/test_stages_training.py."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from torch import nn

from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, CNNConfig, predict_proba
from ecgbeats.training import (
    Augmentation,
    FocalLoss,
    TrainConfig,
    augment_beats,
    calibrate_batch_norm,
    evaluate,
    fit_logit_offsets,
    group_batches,
    macro_f1_present,
    outputs_by_group,
    train_model,
)

SMALL = {
    "channels": [4, 4, 8, 8, 8, 8],
    "hidden": [16, 8, 8],
    "kernel_size": 3,
    "dropout": 0.0,
    "rr_features": [],
    "rr_hidden": 4,
    "beat_reference": "none",
}
NAMES = ["NOR", "PVC", "PAC"]


def tiny_beats(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of noisy sinusoids: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    t = np.linspace(0, 1, 300)
    beats = np.sin(2 * np.pi * (labels[:, None] + 1) * t) + rng.normal(0, 0.5, (n, 300))
    return beats.astype(np.float32), labels.astype(np.int64)


def small(n_classes: int = 3) -> CNNConfig:
    return CNNConfig(n_classes=n_classes, input_length=300, leads=1, **SMALL)


#: config.yaml's optimisation settings, apart from the epochs, batches and device of these tests.
PAPER = {"learning_rate": 5e-4, "lr_step_epochs": 3, "lr_gamma": 0.9, "weight_decay": 0.0}


def settings(**changes: object) -> TrainConfig:
    """Training settings of these tests: every value given (TrainConfig has no defaults)."""
    base = {
        "epochs": 1,
        "batch_size": 64,
        "seed": 0,
        "device": "cpu",
        "loss": "cross_entropy",
        "focal_gamma": 2.0,
        "precision": "float32",
    }
    return TrainConfig(**{**base, **PAPER, "bn_calibration_beats": 10240, **changes})


def test_training_is_deterministic_on_cpu() -> None:
    x, y = tiny_beats()
    config = settings(seed=7)
    first = train_model(x[:200], y[:200], x[200:], y[200:], small(), config).model.state_dict()
    second = train_model(x[:200], y[:200], x[200:], y[200:], small(), config).model.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = train_model(
        x[:200], y[:200], x[200:], y[200:], small(), settings(seed=8)
    ).model.state_dict()
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_history_learning_rate_and_best_epoch(caplog: pytest.LogCaptureFixture) -> None:
    x, y = tiny_beats(400)
    config = settings(epochs=6, learning_rate=5e-3, lr_step_epochs=3, lr_gamma=0.5)
    with caplog.at_level(logging.INFO, logger="ecgbeats.training"):
        result = train_model(x[:300], y[:300], x[300:], y[300:], small(), config)
    history = result.history
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5, 6]
    assert [row["lr"] for row in history] == pytest.approx([5e-3] * 3 + [2.5e-3] * 3)
    assert caplog.text.count("epoch ") >= 6 and "validation" in caplog.text
    best = max(history, key=lambda r: (r["validation_macro_f1"], -r["validation_loss"]))
    assert result.best_epoch == best["epoch"]
    # The returned model is the best epoch's: its validation accuracy is reproduced.
    predicted = predict_proba(result.model, x[300:]).argmax(axis=1)
    assert np.mean(predicted == y[300:]) == pytest.approx(best["validation_accuracy"])
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert best["validation_accuracy"] > 0.8


def test_bfloat16_training_learns_deterministically_and_keeps_float32_weights() -> None:
    x, y = tiny_beats(400)
    config = settings(epochs=4, learning_rate=5e-3, precision="bfloat16")
    first = train_model(x[:300], y[:300], x[300:], y[300:], small(), config)
    second = train_model(x[:300], y[:300], x[300:], y[300:], small(), config)
    weights = first.model.state_dict()
    assert all(torch.equal(weights[k], second.model.state_dict()[k]) for k in weights)
    assert all(v.dtype in (torch.float32, torch.int64) for v in weights.values())
    # The steps really ran in bfloat16: the same seed in float32 ends elsewhere.
    exact = train_model(
        x[:300], y[:300], x[300:], y[300:], small(), settings(epochs=4, learning_rate=5e-3)
    )
    assert not all(torch.equal(weights[k], exact.model.state_dict()[k]) for k in weights)
    assert first.history[-1]["train_loss"] < first.history[0]["train_loss"]
    assert max(row["validation_accuracy"] for row in first.history) > 0.8
    with pytest.raises(InputError, match="precision must be one of float32, bfloat16, got 'fp8'"):
        settings(precision="fp8")


def test_batch_norm_calibration_matches_training_mode() -> None:
    torch.manual_seed(0)
    model = BeatCNN(small())
    x = torch.randn(256, 1, 300) * 4 + 2
    with torch.no_grad():
        model.train()
        expected = model(x)
        calibrate_batch_norm(model, x, batch_size=256)
        model.eval()
        # Evaluation mode now normalises with the statistics of these beats (unbiased variance:
        # tiny difference), where the initial running statistics (0, 1) were far off.
        np.testing.assert_allclose(model(x).numpy(), expected.numpy(), rtol=0.05, atol=0.02)


def test_evaluate_sums_the_loss_over_batches() -> None:
    x, y = tiny_beats(50)
    torch.manual_seed(0)
    model = BeatCNN(small()).train()
    beats, labels = torch.from_numpy(x)[:, None, :], torch.from_numpy(y)
    loss, accuracy, _ = evaluate(model, beats, labels, batch_size=7)
    assert model.training  # evaluated in evaluation mode, the mode is restored
    model.eval()
    with torch.no_grad():
        logits = model(beats)
    expected = torch.nn.functional.cross_entropy(logits, labels).item()
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == pytest.approx(float((logits.argmax(1) == labels).float().mean()))
    assert evaluate(model, beats, labels, batch_size=50)[0] == pytest.approx(loss, rel=1e-5)


def test_class_weights_change_training() -> None:
    x, y = tiny_beats()
    config = settings()
    plain = train_model(x[:200], y[:200], x[200:], y[200:], small(), config)
    weighted = train_model(
        x[:200], y[:200], x[200:], y[200:], small(), config, class_weights=np.array([5, 1, 1.0])
    )
    assert plain.history[0]["train_loss"] != weighted.history[0]["train_loss"]
    with pytest.raises(InputError, match="3 entries"):
        train_model(x, y, x, y, small(), config, class_weights=np.ones(2))


def test_bad_settings_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = tiny_beats(50)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InputError, match="device 'cuda' requested for the model"):
        train_model(x, y, x, y, small(), settings(device="cuda"))
    with pytest.raises(InputError, match="training settings: epochs must be >= 1"):
        settings(epochs=0)
    with pytest.raises(TypeError):  # every setting is given: no defaults besides config.yaml
        TrainConfig(epochs=1)  # type: ignore[call-arg]
    with pytest.raises(InputError, match="labels outside"):
        train_model(x, y + 1, x, y, small(), settings())


def test_focal_loss_down_weights_easy_beats_and_trains() -> None:
    logits = torch.tensor([[4.0, 0.0], [0.0, 0.2]])  # an easy beat and a hard one, both class 0
    target = torch.tensor([0, 0])
    ce = nn.functional.cross_entropy(logits, target, reduction="none")
    p_true = torch.exp(-ce)
    focal = FocalLoss(gamma=2.0)
    assert float(focal(logits, target)) == pytest.approx(float(((1 - p_true) ** 2 * ce).mean()))
    # gamma 0 is the cross-entropy, weighted as CrossEntropyLoss weights it.
    weight = torch.tensor([3.0, 1.0])
    logits = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    target = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(1))
    assert float(FocalLoss(0.0, weight)(logits, target)) == pytest.approx(
        float(nn.CrossEntropyLoss(weight=weight)(logits, target)), rel=1e-6
    )
    x, y = tiny_beats()
    result = train_model(
        x[:200], y[:200], x[200:], y[200:], small(), settings(epochs=3, loss="focal")
    )
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0]
    with pytest.raises(InputError, match="loss must be one of"):
        settings(loss="hinge")


def test_logit_offsets_move_a_biased_decision_back_and_leave_a_good_one_alone():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    scores = rng.normal(0, 0.3, (600, 3))
    scores[np.arange(600), labels] += 1.0
    # A model that under-calls class 2 by 2.0 in log-probability.
    biased = scores.copy()
    biased[:, 2] -= 2.0
    before = macro_f1_present(labels, biased.argmax(1))
    offsets = fit_logit_offsets(biased, labels, np.arange(-4, 4.01, 0.25), rounds=2)
    assert offsets[0] == 0.0 and 1.5 <= offsets[2] - offsets[1] <= 2.5
    after = macro_f1_present(labels, (biased + offsets).argmax(1))
    assert after > before + 0.1
    # Perfectly separated scores: no offset is better than none, so none is kept.
    perfect = np.eye(3)[labels] * 5.0
    assert np.array_equal(fit_logit_offsets(perfect, labels, (-1.0, 1.0), rounds=2), np.zeros(3))
    with pytest.raises(InputError, match="scores shaped"):
        fit_logit_offsets(perfect[:10], labels, (1.0,), rounds=1)


def two_lead_rows(n: int = 6) -> tuple[CNNConfig, torch.Tensor]:
    """Rows of two leads of 40 samples (a ramp per lead) and two RR features."""
    config = CNNConfig(
        n_classes=3, input_length=40, leads=2, **{**SMALL, "rr_features": ["previous", "next"]}
    )
    ramp = torch.arange(40, dtype=torch.float32)
    leads = torch.stack([ramp, 100 + ramp]).reshape(1, 80).repeat(n, 1)
    rr = torch.tensor([[0.8, 1.2]]).repeat(n, 1)
    return config, torch.cat([leads, rr], dim=1).unsqueeze(1)


def test_augmentation_scales_and_moves_each_beat_and_leaves_rr_alone() -> None:
    config, rows = two_lead_rows()
    generator = torch.Generator().manual_seed(3)
    unchanged = augment_beats(rows, config, Augmentation(0.0, 0, 0.0), generator)
    assert torch.equal(unchanged, rows)
    moved = augment_beats(rows, config, Augmentation(0.0, 3, 0.0), generator)
    assert moved.shape == rows.shape
    assert torch.equal(moved[:, 0, 80:], rows[:, 0, 80:])  # the RR features
    for row in moved[:, 0]:
        first, second = row[:40], row[40:80]
        offset = 20 - int(first[20])  # the ramp read at the middle: how far it moved
        assert -3 <= offset <= 3
        expected = (torch.arange(40) - offset).clamp(0, 39).float()
        assert torch.equal(first, expected)  # edges repeated
        assert torch.equal(second, 100 + expected)  # both leads moved alike
    scaled = augment_beats(rows, config, Augmentation(0.2, 0, 0.0), generator)
    factors = scaled[:, 0, 1] / rows[:, 0, 1]
    assert torch.all((factors >= 0.8) & (factors <= 1.2)) and factors.unique().numel() == 6
    torch.testing.assert_close(scaled[:, 0, :80], rows[:, 0, :80] * factors[:, None])
    noisy = augment_beats(rows, config, Augmentation(0.0, 0, 0.5), generator)
    assert 0.3 < float((noisy - rows)[:, 0, :80].std()) < 0.7
    again = augment_beats(rows, config, Augmentation(0.2, 3, 0.5), torch.Generator().manual_seed(1))
    assert torch.equal(
        again,
        augment_beats(rows, config, Augmentation(0.2, 3, 0.5), torch.Generator().manual_seed(1)),
    )
    with pytest.raises(InputError, match="scale must be in"):
        Augmentation(1.0, 0, 0.0)
    with pytest.raises(InputError, match="shift must be >= 0.*noise must be >= 0"):
        Augmentation(0.1, -1, -0.1)


def test_augmented_training_is_deterministic_and_differs_from_plain() -> None:
    x, y = tiny_beats()
    config, augmentation = settings(seed=7), Augmentation(0.15, 4, 0.1)
    first = train_model(x[:200], y[:200], x[200:], y[200:], small(), config, None, augmentation)
    second = train_model(x[:200], y[:200], x[200:], y[200:], small(), config, None, augmentation)
    plain = train_model(x[:200], y[:200], x[200:], y[200:], small(), config)
    weights = [result.model.state_dict() for result in (first, second, plain)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert first.history[0]["train_loss"] != plain.history[0]["train_loss"]


def test_group_batches_hold_one_group_each_and_cover_every_row_once() -> None:
    groups = np.array(["b"] * 7 + ["a"] * 5 + ["c"] * 2)[np.random.default_rng(0).permutation(14)]
    batches = group_batches(groups, 3, torch.Generator().manual_seed(0))
    rows = torch.cat(batches).numpy()
    assert sorted(rows.tolist()) == list(range(14))
    assert all(len(set(groups[batch.numpy()])) == 1 for batch in batches)
    # Near-equal pieces: 7 rows -> 3 + 2 + 2, 5 -> 3 + 2, 2 -> 2.
    sizes = sorted(batch.numel() for batch in batches)
    assert sizes == [2, 2, 2, 2, 3, 3] and max(sizes) <= 3
    again = group_batches(groups, 3, torch.Generator().manual_seed(0))
    assert all(torch.equal(x, y) for x, y in zip(batches, again, strict=True))
    with pytest.raises(InputError, match=r"group\(s\) \['d'\] with fewer than 2"):
        group_batches(np.array(["a", "a", "d"]), 3, torch.Generator())


def test_outputs_by_group_normalise_each_group_by_its_own_statistics() -> None:
    config = small()
    torch.manual_seed(0)
    model = BeatCNN(config).eval()
    x, _ = tiny_beats(20)
    rows = torch.from_numpy(x).unsqueeze(1)
    # The same beats twice, the second time scaled by 3 (another patient's gain and
    # lead): with each group's own statistics the first BatchNorm undoes it, so both
    # groups get the same logits; with the model's stored statistics they differ.
    shifted = torch.cat([rows, 3 * rows])
    groups = np.array(["p"] * 20 + ["q"] * 20)
    calibrate_batch_norm(model, rows)  # stored statistics: those of group p
    before = {k: v.clone() for k, v in model.state_dict().items()}
    logits = outputs_by_group(model, shifted, groups)
    np.testing.assert_allclose(logits[20:], logits[:20], atol=1e-3)  # BatchNorm eps aside
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    plain = model(shifted).detach().numpy()
    np.testing.assert_allclose(plain[:20], logits[:20], atol=1e-4)
    assert np.abs(plain[20:] - plain[:20]).max() > 0.02  # 20 times the tolerance above
    with pytest.raises(InputError, match="39 group labels for 40 rows"):
        outputs_by_group(model, shifted, groups[:39])


def test_training_in_batches_of_one_group_is_deterministic() -> None:
    x, y = tiny_beats()
    groups = (np.repeat(["r1", "r2", "r3", "r4"], 50), np.repeat(["r5", "r6"], 50))
    config = settings(seed=3, epochs=2)
    first = train_model(x[:200], y[:200], x[200:], y[200:], small(), config, groups=groups)
    second = train_model(x[:200], y[:200], x[200:], y[200:], small(), config, groups=groups)
    plain = train_model(x[:200], y[:200], x[200:], y[200:], small(), config)
    assert [row["validation_loss"] for row in first.history] == [
        row["validation_loss"] for row in second.history
    ]
    assert first.history[0]["train_loss"] != plain.history[0]["train_loss"]
    with pytest.raises(InputError, match="199 training groups for 200 rows"):
        train_model(
            x[:200], y[:200], x[200:], y[200:], small(), config, groups=(groups[0][1:], groups[1])
        )
