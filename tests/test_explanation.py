"""SHAP of the CNN's logits: additivity, choice of representative beats, per-class profiles;
the explain_shap and plot_shap stages and their rules in the workflow."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib import pyplot as plt
from test_artifacts_model import (
    cnn_config,
    save_predictions,
    small_config,
    write_dataset,
    write_split,
)
from test_metrics import assert_png
from torch import nn
from workflow_runner import WorkflowCopy

from ecgbeats import explanation, plots
from ecgbeats.artifacts import SHAP_VALUES, save_checkpoint
from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, model_inputs, predict_proba
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.stages.explanation import ShapOptions, explain_shap
from ecgbeats.stages.interpret_figures import plot_shap
from helpers.library_inputs import library_sources
from synthetic_ecg import beat_waveform

SYMBOLS = ("N", "/", "L", "R", "A", "V")
REPO_ROOT = Path(__file__).resolve().parents[1]
INTERPRET_OUTPUTS = ("umap.tsv", "umap.png", "shap_values.npz", "shap_grid.png", "shap_profile.png")


def _beats(per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(SYMBOLS)), per_class)
    templates = np.stack([np.pad(beat_waveform(s), (0, 12)) for s in SYMBOLS])
    shifts = rng.integers(-6, 7, labels.size)
    beats = np.stack([np.roll(templates[c], s) for c, s in zip(labels, shifts, strict=True)])
    beats = beats + rng.normal(0, 0.05, beats.shape)
    beats = (beats - beats.mean(1, keepdims=True)) / beats.std(1, keepdims=True)
    return beats.astype(np.float32), labels


@pytest.fixture(scope="module")
def trained() -> tuple[BeatCNN, np.ndarray, np.ndarray]:
    """A small BeatCNN trained until its logits are far from zero (additivity is then telling)."""
    torch.manual_seed(0)
    beats, labels = _beats(40, seed=0)
    model = BeatCNN(small_config(6, channels=(4, 4, 8, 8, 8, 8), hidden=(16, 8, 8)))
    optimiser = torch.optim.Adam(model.parameters(), 1e-2)
    x, y = torch.from_numpy(beats), torch.from_numpy(labels)
    for _ in range(40):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()
    return model.eval(), beats, labels


def test_deep_shap_adds_up_to_the_logits(trained) -> None:  # noqa: ANN001 - fixture
    model, beats, _ = trained
    background, explained = beats[::8], beats[3::40]  # one beat per class
    values, expected = explanation.explain(model, background, explained, method="deep")
    assert values.shape == (len(explained), 300, 6)
    logits = explanation.model_outputs(model, explained)
    delta = logits - expected
    assert np.abs(delta).max() > 1.0  # a trained model: the check is not trivially satisfied
    ratio, residual = explanation.additivity_error(values, logits, expected)
    assert ratio <= 1.0, f"largest residual {np.abs(residual).max():.3g} logits"
    assert np.allclose(expected, explanation.model_outputs(model, background).mean(0))
    # The model itself is untouched (in-place ReLUs are only switched off in shap's copy).
    assert all(m.inplace for m in model.modules() if isinstance(m, nn.ReLU))


def test_additivity_error_detects_a_wrong_sum() -> None:
    values = np.ones((2, 10, 3))
    outputs = np.full((2, 3), 10.0)
    assert explanation.additivity_error(values, outputs, np.zeros(3))[0] <= 1.0
    assert explanation.additivity_error(values, outputs + 0.05, np.zeros(3))[0] > 1.0


def test_additivity_policy_is_strict_for_deep_only(caplog: pytest.LogCaptureFixture) -> None:
    values = np.ones((2, 10, 3))
    outputs = np.full((2, 3), 10.0)
    with caplog.at_level("INFO", logger="ecgbeats.explanation"):
        residual = explanation.check_additivity("deep", values, outputs, np.zeros(3))
    assert residual.shape == (2, 3) and np.allclose(residual, 0)
    assert "additivity: largest" in caplog.text
    with pytest.raises(RuntimeError, match="use the gradient explainer"):
        explanation.check_additivity("deep", values, outputs + 0.05, np.zeros(3))
    # Expected gradients add up only on average: reported, never refused.
    residual = explanation.check_additivity("gradient", values, outputs + 0.05, np.zeros(3))
    assert np.allclose(residual, -0.05)


def test_model_outputs_are_float64_logits_for_any_batch_size(trained) -> None:  # noqa: ANN001
    model, beats, _ = trained
    with torch.no_grad():
        expected = model(torch.from_numpy(beats[:23])).double().numpy()
    for size in (1, 7, 23):
        logits = explanation.model_outputs(model, beats[:23], batch_size=size)
        assert logits.dtype == np.float64
        np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(explanation.model_outputs(model, beats[:23]), expected)


def test_deep_shap_of_a_default_size_model_adds_up() -> None:
    torch.manual_seed(1)
    model = BeatCNN(cnn_config(10)).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics and larger outputs
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d):
                module.running_mean.normal_(0, 0.2)
                module.running_var.uniform_(0.05, 0.3)
    beats, _ = _beats(2, seed=1)
    values, expected = explanation.explain(model, beats[:8], beats[8:10], method="deep")
    ratio, _ = explanation.additivity_error(
        values, explanation.model_outputs(model, beats[8:10]), expected
    )
    assert ratio <= 1.0


def test_selected_outputs_equal_the_matching_columns(trained) -> None:  # noqa: ANN001
    model, beats, labels = trained
    background, explained = beats[::10], beats[5::40]
    full, expected = explanation.explain(model, background, explained)
    part, part_expected = explanation.explain(model, background, explained, outputs=[4, 1])
    assert np.allclose(part, full[:, :, [4, 1]], atol=1e-5)
    assert np.allclose(part_expected, expected[[4, 1]])
    own, _ = explanation.explain_own_class(model, background, explained, labels[5::40])
    assert np.allclose(own, full[np.arange(len(explained)), :, labels[5::40]], atol=1e-5)


def test_grouped_passes_equal_one_beat_at_a_time(
    trained,  # noqa: ANN001 - fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, beats, _ = trained
    background, explained = beats[::12], beats[1::25]  # 10 beats: groups of 10 by default
    grouped, expected = explanation.explain(model, background, explained)
    monkeypatch.setattr(explanation, "PASS_BEATS", 1)  # one beat per pass
    single, single_expected = explanation.explain(model, background, explained)
    assert np.allclose(grouped, single, atol=1e-5)
    assert np.allclose(expected, single_expected)
    monkeypatch.setattr(explanation, "PASS_BEATS", 3 * len(background))  # 3 + 3 + 3 + 1 padded
    uneven, _ = explanation.explain(model, background, explained, outputs=[2])
    assert np.allclose(uneven[:, :, 0], single[:, :, 2], atol=1e-5)


def test_gradient_explainer_adds_up_approximately(trained) -> None:  # noqa: ANN001
    model, beats, labels = trained
    background, explained = beats[::8], beats[7::40]
    outputs = [0, 5]
    values, expected = explanation.explain(
        model, background, explained, "gradient", outputs, gradient_samples=200, seed=1
    )
    again, _ = explanation.explain(
        model, background, explained[:1], "gradient", outputs, gradient_samples=200, seed=1
    )
    assert np.allclose(values[:1], again, atol=1e-6)  # seeded
    delta = (explanation.model_outputs(model, explained)[:, outputs] - expected).ravel()
    sums = values.sum(axis=1).ravel()
    # Expected gradients add up only in expectation over random samples: the sums must track
    # the output differences closely, not to rounding.
    assert np.corrcoef(sums, delta)[0, 1] > 0.9
    assert np.median(np.abs(sums - delta)) < 0.25 * np.median(np.abs(delta))


def test_explain_rejects_unknown_explainers_and_reused_modules(trained) -> None:  # noqa: ANN001
    model, beats, _ = trained
    with pytest.raises(InputError, match="SHAP explainer must be one of"):
        explanation.explain(model, beats[:4], beats[:1], method="kernel")

    class Reuse(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(300, 8)
            self.second = nn.Linear(8, 3)
            self.relu = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.relu(self.second(self.relu(self.first(x.flatten(1)))))

    with pytest.raises(InputError, match="relu"):
        explanation.explain(Reuse(), beats[:4], beats[:1])


def _brute_force_most_confident(y_true, y_pred, probabilities, c):  # noqa: ANN001, ANN202
    best, best_p = None, -1.0
    for i in range(len(y_true)):
        if y_true[i] == c and y_pred[i] == c and probabilities[i, c] > best_p:
            best, best_p = i, probabilities[i, c]
    return best


def test_representative_beats_are_the_most_confident_per_class() -> None:
    rng = np.random.default_rng(5)
    k, n = 5, 400
    y_true = rng.integers(0, k, n)
    probabilities = rng.dirichlet(np.ones(k), n)
    probabilities[np.arange(n), y_true] += rng.uniform(0, 1.5, n)  # mostly right
    probabilities /= probabilities.sum(1, keepdims=True)
    y_pred = probabilities.argmax(1)
    selection = explanation.representative_beats(y_true, y_pred, probabilities, n_misclassified=3)
    correct_rows = selection.positions[:k]
    assert selection.roles[:k].tolist() == ["correct"] * k
    for c in range(k):
        assert correct_rows[c] == _brute_force_most_confident(y_true, y_pred, probabilities, c)
    mistakes = selection.positions[k:]
    assert selection.roles[k:].tolist() == ["misclassified"] * 3
    assert np.all(y_true[mistakes] != y_pred[mistakes])
    confidence = probabilities[np.arange(n), y_pred]
    assert np.all(np.diff(confidence[mistakes]) <= 0)  # most confident first
    assert len(set(y_true[mistakes])) == 3  # at most one per true class
    # Each is its class's most confident mistake, and these are the top 3 of those.
    per_class = {}
    for i in np.flatnonzero(y_true != y_pred):
        c = y_true[i]
        if c not in per_class or confidence[i] > confidence[per_class[c]]:
            per_class[c] = i
    top = sorted(per_class.values(), key=lambda i: -confidence[i])[:3]
    assert mistakes.tolist() == top


def test_a_class_without_correct_predictions_gets_its_best_beat() -> None:
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 0, 0, 0, 0])
    probabilities = np.array(
        [[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.55, 0.45], [0.99, 0.01]], dtype=float
    )
    selection = explanation.representative_beats(y_true, y_pred, probabilities, n_misclassified=5)
    assert selection.positions.tolist()[:2] == [0, 3]
    assert selection.roles.tolist()[:2] == ["correct", "misclassified"]
    # Beat 3 is already a row; class 1's most confident other mistake is beat 4.
    assert selection.positions.tolist()[2:] == [4]
    with pytest.raises(InputError, match="misclassified beats to explain must be >= 0"):
        explanation.representative_beats(y_true, y_pred, probabilities, -1)


def test_profile_positions_and_class_profiles() -> None:
    labels = np.array([0] * 50 + [2] * 3 + [1] * 20)
    chosen = explanation.profile_positions(labels, per_class=10, seed=0)
    assert np.bincount(labels[chosen]).tolist() == [10, 10, 3]
    assert len(set(chosen.tolist())) == chosen.size
    assert np.all(np.diff(labels[chosen]) >= 0)  # grouped by class
    values = np.random.default_rng(0).normal(size=(chosen.size, 300))
    beats = np.random.default_rng(1).normal(size=(chosen.size, 300))
    mean_abs, mean_beat, std_beat, counts = explanation.class_profiles(
        values, beats, labels[chosen], n_classes=4
    )
    rows = labels[chosen] == 2
    assert np.allclose(mean_abs[2], np.abs(values[rows]).mean(0))
    assert np.allclose(mean_beat[2], beats[rows].mean(0))
    assert np.allclose(std_beat[2], beats[rows].std(0))
    assert counts.tolist() == [10, 10, 3, 0]
    assert np.isnan(mean_abs[3]).all()
    with pytest.raises(InputError, match="profile beats per class must be >= 1"):
        explanation.profile_positions(labels, per_class=0, seed=0)
    figure = plots.shap_profile(
        mean_abs, mean_beat, std_beat, counts, ["A", "B", "C", "D"], 150, "t"
    )
    assert len(figure.axes) == 8
    plt.close(figure)


def test_background_positions() -> None:
    chosen = explanation.background_positions(1000, 50, seed=2)
    assert chosen.size == 50 and len(set(chosen.tolist())) == 50
    assert chosen.min() >= 0 and chosen.max() < 1000
    assert np.array_equal(chosen, explanation.background_positions(1000, 50, seed=2))
    assert explanation.background_positions(20, 50, seed=2).tolist() == list(range(20))
    with pytest.raises(InputError, match="SHAP background beats must be >= 1"):
        explanation.background_positions(20, 0, seed=2)


def test_shap_grid_layout(trained) -> None:  # noqa: ANN001
    model, beats, labels = trained
    values = np.random.default_rng(0).normal(size=(3, 300, 6))
    figure = plots.shap_grid(
        beats[:3],
        values,
        np.array([0, 1, 2]),
        np.array([0, 1, 4]),
        np.array([0.9, 0.8, 0.7]),
        ["correct", "correct", "misclassified"],
        list(SYMBOLS),
        150,
        "t",
    )
    panels = [a for a in figure.axes if a.get_label() != "<colorbar>"]
    assert len(panels) == 3 * 7
    plt.close(figure)


def _library_inputs(script: str) -> set[str]:
    """The library modules a script's rule lists as inputs, relative to workflow/scripts."""
    scripts = REPO_ROOT / "workflow" / "scripts"
    return {Path(p).relative_to(scripts).as_posix() for p in library_sources(script, scripts)}


@pytest.mark.parametrize(
    ("compute", "figure"), [("embed_umap.py", "plot_umap.py"), ("explain_shap.py", "plot_shap.py")]
)
def test_plotting_code_is_no_input_of_the_computations(compute: str, figure: str) -> None:
    """Editing only ecgbeats/plots.py reruns the figures, not the UMAP or SHAP computations;
    the figure scripts need neither torch nor the model."""
    assert "ecgbeats/plots.py" not in _library_inputs(compute)
    assert "ecgbeats/plots.py" in _library_inputs(figure)
    assert not {"ecgbeats/model.py", "ecgbeats/explanation.py"} & _library_inputs(figure)


def test_umap_and_shap_stages_do_not_depend_on_each_other() -> None:
    assert "ecgbeats/explanation.py" not in _library_inputs("embed_umap.py")
    assert "ecgbeats/embedding.py" not in _library_inputs("explain_shap.py")


def _explained_inputs(directory: Path, trained) -> dict:  # noqa: ANN001 - fixture value
    """Dataset, split, checkpoint and predictions of the trained fixture model."""
    model, beats, labels = trained
    names = ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC"]
    order = np.random.default_rng(4).permutation(labels.size)
    train, test = np.sort(order[:160]), np.sort(order[160:])
    files = {
        "dataset": write_dataset(directory / "six.npz", beats, labels, names),
        "split": write_split(directory / "split.npz", train, [], test, names),
        "predictions": directory / "predictions.npz",
        "model": directory / "model.pt",
    }
    save_checkpoint(files["model"], model, names)
    probabilities = save_predictions(files["predictions"], model, beats, labels, test, names)
    return {"files": files, "train": train, "test": test, "probabilities": probabilities}


SHAP_OPTIONS = ShapOptions(
    explainer="deep",
    background=12,
    misclassified=2,
    profile_beats=3,
    gradient_samples=20,
    seed=0,
)


def test_explain_shap_and_plot_shap_stages(trained, tmp_path: Path) -> None:  # noqa: ANN001
    _, beats, labels = trained
    inputs = _explained_inputs(tmp_path, trained)
    files, test = inputs["files"], inputs["test"]
    values = tmp_path / "interpret" / "shap_values.npz"
    explain_shap(
        files["dataset"],
        files["split"],
        files["predictions"],
        files["model"],
        values,
        SHAP_OPTIONS,
        r_peak=150,
    )
    saved = SHAP_VALUES.load(values)
    assert saved["background_index"].size == 12
    assert set(saved["background_index"].tolist()) <= set(inputs["train"].tolist())
    assert str(saved["explainer"]) == "deep" and int(saved["r_peak"]) == 150
    assert saved["grid_shap"].shape == (saved["grid_index"].size, 300, 6)
    assert np.abs(saved["additivity_residual"]).max() < 1e-2
    np.testing.assert_array_equal(saved["grid_beats"], beats[saved["grid_index"]])
    assert set(saved["grid_index"].tolist()) <= set(test.tolist())
    assert np.bincount(saved["profile_y_true"], minlength=6).max() <= 3
    mean_abs, mean_beat, std_beat, counts = explanation.class_profiles(
        saved["profile_shap"], beats[saved["profile_index"]], saved["profile_y_true"], 6
    )
    np.testing.assert_array_equal(saved["profile_counts"], counts)
    np.testing.assert_allclose(saved["profile_mean_abs_shap"], mean_abs)
    np.testing.assert_array_equal(labels[saved["profile_index"]], saved["profile_y_true"])

    grid, profile = tmp_path / "grid.png", tmp_path / "profile.png"
    plot_shap(values, grid, profile, task="six", split="intra")
    assert_png(grid)
    assert_png(profile)


def test_explain_shap_refuses_inputs_out_of_date(trained, tmp_path: Path) -> None:  # noqa: ANN001
    inputs = _explained_inputs(tmp_path, trained)
    files = inputs["files"]
    other = write_split(tmp_path / "other.npz", [0], [], [1], ["A", "B", "C", "D", "E", "F"])
    with pytest.raises(InputError, match="other.npz: classes .* differ"):
        explain_shap(
            files["dataset"],
            other,
            files["predictions"],
            files["model"],
            tmp_path / "values.npz",
            SHAP_OPTIONS,
            r_peak=150,
        )
    names = ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC"]
    far = write_split(tmp_path / "far.npz", [0, 999], [], [1], names)
    with pytest.raises(InputError, match="far.npz: indexes outside the 240 rows"):
        explain_shap(
            files["dataset"],
            far,
            files["predictions"],
            files["model"],
            tmp_path / "values.npz",
            SHAP_OPTIONS,
            r_peak=150,
        )
    assert not (tmp_path / "values.npz").exists()


def test_interpret_rules_run_in_the_workflow_on_the_test_config(tmp_path: Path) -> None:
    """embed_umap, explain_shap and their figure rules plot_umap and plot_shap through Snakemake
    with .test/config.yaml, from made-up upstream files (dataset, split, a briefly trained
    checkpoint, its predictions)."""
    workflow = WorkflowCopy(tmp_path / "copy")
    names = ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC"]
    beats, labels = _beats(30, seed=3)
    rng = np.random.default_rng(3)
    order = rng.permutation(labels.size)
    train, test = np.sort(order[:100]), np.sort(order[100:])
    workflow.path("results/datasets").mkdir(parents=True)
    write_dataset(workflow.path("results/datasets/six.npz"), beats, labels, names)
    base = workflow.path("results/intra/six")
    base.mkdir(parents=True)
    write_split(base / "split.npz", train, [], test, names)
    torch.manual_seed(0)
    model = BeatCNN(cnn_config(6))
    optimiser = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(10):
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(
            model(torch.from_numpy(beats[train])), torch.from_numpy(labels[train])
        )
        loss.backward()
        optimiser.step()
    model.eval()
    save_checkpoint(base / "model.pt", model, names)
    probabilities = predict_proba(model, beats[test])
    np.savez_compressed(
        base / "predictions.npz",
        index=test,
        y_true=labels[test],
        y_pred=probabilities.argmax(1),
        probabilities=probabilities,
        class_names=np.array(names),
    )
    targets = [f"results/intra/six/interpret/{name}" for name in INTERPRET_OUTPUTS]
    rules = ("--allowed-rules", "embed_umap", "explain_shap", "plot_umap", "plot_shap")
    workflow.run(*targets, *rules, configfiles=[".test/config.yaml"])

    table = pd.read_csv(base / "interpret/umap.tsv", sep="\t", dtype={"record": str})
    assert len(table) == test.size  # fewer test beats than .test's umap.max_points
    assert set(table["dataset_index"]) == set(test.tolist())
    assert np.isfinite(table[["umap_1", "umap_2"]].to_numpy()).all()
    with np.load(base / "interpret/shap_values.npz") as saved:
        grid = saved["grid_shap"]
        assert grid.shape == (len(saved["grid_index"]), 300, 6)
        assert saved["background_index"].size == 20  # .test/config.yaml shap.background
        assert set(saved["background_index"].tolist()) <= set(train.tolist())
        residual = saved["additivity_residual"]
        assert np.abs(residual).max() < 1e-2
        # The first rows are the most confident correct beat of each class.
        y_pred = probabilities.argmax(1)
        for row, c in enumerate(saved["grid_y_true"][:6]):
            correct = (labels[test] == c) & (y_pred == c)
            if correct.any():
                best = test[correct][np.argmax(probabilities[correct, c])]
                assert saved["grid_index"][row] == best
        assert np.bincount(saved["profile_y_true"], minlength=6).max() <= 4
        assert saved["profile_shap"].shape == (saved["profile_index"].size, 300)
        # What plot_shap draws the profiles from, without the model or the dataset.
        mean_abs, mean_beat, std_beat, counts = explanation.class_profiles(
            saved["profile_shap"], beats[saved["profile_index"]], saved["profile_y_true"], 6
        )
        np.testing.assert_array_equal(saved["profile_counts"], counts)
        np.testing.assert_allclose(saved["profile_mean_abs_shap"], mean_abs)
        np.testing.assert_allclose(saved["profile_mean_beat"], mean_beat)
        np.testing.assert_allclose(saved["profile_std_beat"], std_beat)
        assert int(saved["r_peak"]) == 150  # config.yaml beats.before
    for name in ("umap.png", "shap_grid.png", "shap_profile.png"):
        assert_png(base / "interpret" / name)

    # The UMAP stage is reproducible: forced to run again, it writes the same table.
    first = (base / "interpret/umap.tsv").read_bytes()
    workflow.run(targets[0], *rules, "--forcerun", "embed_umap", configfiles=[".test/config.yaml"])
    assert (base / "interpret/umap.tsv").read_bytes() == first
    result = workflow.run(*targets, *rules, "--report", "r.zip", configfiles=[".test/config.yaml"])
    assert workflow.path("r.zip").stat().st_size > 10000, result.stderr[-2000:]


RR = ("previous_to_record", "next_to_record", "local_to_record")
MEDIAN = np.zeros(300, dtype=np.float32)


@pytest.fixture(scope="module")
def trained_rr() -> tuple[BeatCNN, np.ndarray, np.ndarray, np.ndarray]:
    """A small BeatCNN with an RR branch; PAC beats (class 4) come early, as in life."""
    torch.manual_seed(0)
    beats, labels = _beats(40, seed=0)
    rhythm = np.random.default_rng(5).uniform(0.9, 1.1, (labels.size, len(RR_FEATURES)))
    rhythm[labels == 4, RR_FEATURES.index("previous_to_record")] = 0.7
    rhythm = rhythm.astype(np.float32)
    model = BeatCNN(
        small_config(6, channels=(4, 4, 8, 8, 8, 8), hidden=(16, 8, 8), rr_features=RR, rr_hidden=4)
    )
    optimiser = torch.optim.Adam(model.parameters(), 1e-2)
    x = torch.from_numpy(model_inputs(model.config, beats, rhythm, MEDIAN))
    y = torch.from_numpy(labels)
    for _ in range(40):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()
    return model.eval(), beats, rhythm, labels


def test_deep_shap_adds_up_through_the_rr_branch(trained_rr) -> None:  # noqa: ANN001
    model, beats, rhythm, _ = trained_rr
    inputs = model_inputs(model.config, beats, rhythm, MEDIAN)
    background, explained = inputs[::8], inputs[3::40]
    values, expected = explanation.explain(model, background, explained, method="deep")
    assert values.shape == (len(explained), 303, 6)
    logits = explanation.model_outputs(model, explained)
    assert np.abs(logits - expected).max() > 1.0
    ratio, residual = explanation.additivity_error(values, logits, expected)
    assert ratio <= 1.0, f"largest residual {np.abs(residual).max():.3g} logits"
    assert np.abs(values[:, 300:]).max() > 0  # the RR inputs are attributed too


def test_explain_shap_stage_and_grid_with_rr_inputs(trained_rr, tmp_path: Path) -> None:  # noqa: ANN001
    model, beats, rhythm, labels = trained_rr
    names = ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC"]
    order = np.random.default_rng(4).permutation(labels.size)
    train, test = np.sort(order[:160]), np.sort(order[160:])
    dataset = write_dataset(tmp_path / "six.npz", beats, labels, names, rr_features=rhythm)
    split = write_split(tmp_path / "split.npz", train, [], test, names)
    checkpoint, predictions = tmp_path / "model.pt", tmp_path / "predictions.npz"
    save_checkpoint(checkpoint, model, names)
    save_predictions(
        predictions, model, model_inputs(model.config, beats, rhythm, MEDIAN), labels, test, names
    )
    values = tmp_path / "shap_values.npz"
    explain_shap(dataset, split, predictions, checkpoint, values, SHAP_OPTIONS, r_peak=150)
    saved = SHAP_VALUES.load(values)
    assert saved["rr_features"].tolist() == list(RR)
    assert saved["grid_shap"].shape[1:] == (303, 6)
    np.testing.assert_array_equal(saved["grid_beats"][:, :300], beats[saved["grid_index"]])
    np.testing.assert_allclose(
        saved["grid_beats"][:, 300], rhythm[saved["grid_index"], RR_FEATURES.index(RR[0])]
    )
    assert np.abs(saved["additivity_residual"]).max() < 1e-2
    grid, profile = tmp_path / "grid.png", tmp_path / "profile.png"
    plot_shap(values, grid, profile, task="six", split="inter")
    assert_png(grid)
    assert_png(profile)
    figure = plots.shap_grid(
        saved["grid_beats"],
        saved["grid_shap"],
        saved["grid_y_true"],
        saved["grid_y_pred"],
        saved["grid_confidence"],
        [str(r) for r in saved["grid_role"]],
        names,
        150,
        "t",
        list(RR),
    )
    panels = [a for a in figure.axes if a.get_label() != "<colorbar>"]
    # One column more than the paper's grid: the RR inputs beside the beat.
    assert len(panels) == saved["grid_index"].size * (6 + 2)
    plt.close(figure)
