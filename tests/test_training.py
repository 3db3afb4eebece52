"""Training loop (determinism, model selection, history) and the split/train scripts."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import workflow_runner

from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, CNNConfig, load_checkpoint, predict_proba
from ecgbeats.training import (
    HISTORY_COLUMNS,
    TrainConfig,
    calibrate_batch_norm,
    train_model,
    write_history,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = REPO_ROOT / "workflow" / "scripts"
SMALL = {"channels": [4, 4, 8, 8, 8, 8], "hidden": [16, 8, 8], "kernel_size": 3, "dropout": 0.0}
NAMES = ["NOR", "PVC", "PAC"]


def tiny_beats(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of noisy sinusoids: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    t = np.linspace(0, 1, 300)
    beats = np.sin(2 * np.pi * (labels[:, None] + 1) * t) + rng.normal(0, 0.5, (n, 300))
    return beats.astype(np.float32), labels.astype(np.int64)


def small(n_classes: int = 3) -> CNNConfig:
    return CNNConfig(n_classes=n_classes, **SMALL)


def test_training_is_deterministic_on_cpu() -> None:
    x, y = tiny_beats()
    config = TrainConfig(epochs=1, batch_size=64, seed=7, device="cpu")
    first = train_model(x[:200], y[:200], x[200:], y[200:], small(), config).model.state_dict()
    second = train_model(x[:200], y[:200], x[200:], y[200:], small(), config).model.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = train_model(
        x[:200], y[:200], x[200:], y[200:], small(), TrainConfig(epochs=1, batch_size=64, seed=8)
    ).model.state_dict()
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_history_learning_rate_and_best_epoch(caplog: pytest.LogCaptureFixture) -> None:
    x, y = tiny_beats(400)
    config = TrainConfig(
        epochs=6, batch_size=64, learning_rate=5e-3, lr_step_epochs=3, lr_gamma=0.5, seed=0
    )
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


def test_class_weights_change_training() -> None:
    x, y = tiny_beats()
    config = TrainConfig(epochs=1, batch_size=64, seed=0)
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
    with pytest.raises(InputError, match="train.device"):
        train_model(x, y, x, y, small(), TrainConfig(epochs=1, device="cuda"))
    with pytest.raises(InputError, match="epochs must be >= 1"):
        TrainConfig(epochs=0)
    with pytest.raises(InputError, match="labels outside"):
        train_model(x, y + 1, x, y, small(), TrainConfig(epochs=1))


def test_write_history(tmp_path: Path) -> None:
    row = dict.fromkeys(HISTORY_COLUMNS, 0.5) | {"epoch": 1}
    write_history(str(tmp_path / "h.tsv"), [row, row | {"epoch": 2}])
    table = pd.read_csv(tmp_path / "h.tsv", sep="\t")
    assert list(table.columns) == list(HISTORY_COLUMNS) and table["epoch"].tolist() == [1, 2]


class Named(list):
    """Snakemake-like named list: by position, by name and as attributes."""

    def __init__(self, **items: object):
        super().__init__(items.values())
        self.__dict__.update(items)


class FakeSnakemake:
    def __init__(self, rule: str, log: Path, input: Named, output: Named, params: Named):
        self.rule, self.log, self.threads = rule, [str(log)], 1
        self.input, self.output, self.params = input, output, params


def run_script(name: str, smk: FakeSnakemake) -> None:
    workflow_runner.run_script(SCRIPTS / name, smk)


def test_split_and_train_scripts(tmp_path: Path) -> None:
    """The two rules' scripts on a tiny dataset npz, with the repository's config sections."""
    import yaml

    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    beats, labels = tiny_beats(240)
    dataset = tmp_path / "dataset.npz"
    np.savez_compressed(
        dataset,
        beats=beats,
        labels=labels,
        class_names=np.array(NAMES),
        records=np.array(["100"] * labels.size),
    )
    split, counts = tmp_path / "split.npz", tmp_path / "counts.tsv"
    run_script(
        "split_dataset.py",
        FakeSnakemake(
            "split_dataset",
            tmp_path / "split.log",
            Named(dataset=str(dataset)),
            Named(split=str(split), counts=str(counts)),
            Named(scheme="intra", split=config["split"]["intra"]),
        ),
    )
    table = pd.read_csv(counts, sep="\t", index_col="class")
    assert table.loc["all", "total"] == labels.size
    assert table.loc["all", "test"] == pytest.approx(0.3 * labels.size, abs=2)
    model_path, history = tmp_path / "model.pt", tmp_path / "history.tsv"
    train = config["train"] | {"epochs": 2, "batch_size": 64, "device": "cpu"}
    run_script(
        "train_model.py",
        FakeSnakemake(
            "train_model",
            tmp_path / "train.log",
            Named(dataset=str(dataset), split=str(split)),
            Named(model=str(model_path), history=str(history)),
            Named(balance=config["balance"], model=SMALL, train=train),
        ),
    )
    model, names = load_checkpoint(model_path, expected_class_names=NAMES)
    assert names == NAMES
    assert len(pd.read_csv(history, sep="\t")) == 2
    log = (tmp_path / "train.log").read_text()
    assert "balancing (smote)" in log and "epoch 2/2" in log
    with np.load(split) as parts:
        test = parts["test"]
    assert predict_proba(model, beats[test]).shape == (test.size, 3)
