"""The evaluation stages (evaluate_model, plot_evaluation, compare_with_paper) on a small model
and data, and their rules in the workflow."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_artifacts_model import cnn_config, small_config, write_dataset, write_split
from test_metrics import assert_png, history_frame
from workflow_runner import WorkflowCopy

from ecgbeats import metrics
from ecgbeats.artifacts import PREDICTIONS, save_checkpoint
from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, load_model, predict_proba
from ecgbeats.stages.evaluation import EvaluationOptions, compare_with_paper, evaluate_model
from ecgbeats.stages.evaluation_figures import plot_evaluation
from helpers.library_inputs import library_sources

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = REPO_ROOT / "workflow" / "scripts"
CLASS_NAMES = ["NOR", "PVC", "PAC"]
FIGURES = ("confusion_matrix", "roc", "pr", "training_curves")  # output names of plot_evaluation
FIGURE_FILES = ("confusion_matrix", "roc_curves", "pr_curves", "training_curves")


def library_inputs(script: str) -> set[str]:
    """The library modules a script's rule lists as inputs, relative to workflow/scripts."""
    return {Path(p).relative_to(SCRIPTS).as_posix() for p in library_sources(script, SCRIPTS)}


def figure_paths(directory: Path) -> dict[str, Path]:
    return {name: directory / f"{name}.png" for name in FIGURES}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small dataset whose test part lacks class PAC, a checkpoint and a training history,
    evaluated and plotted."""
    directory = tmp_path_factory.mktemp("evaluation")
    rng = np.random.default_rng(0)
    labels = np.array([0] * 40 + [1] * 20 + [2] * 6, dtype=np.int64)
    beats = rng.normal(size=(labels.size, 300)).astype(np.float32)
    beats[labels == 1, 140:160] -= 3.0  # something for the model to separate
    dataset = write_dataset(directory / "six.npz", beats, labels, CLASS_NAMES)
    test = np.concatenate([np.arange(30, 40), np.arange(50, 60)]).astype(np.int64)
    split = write_split(
        directory / "split.npz", np.arange(0, 30), np.arange(60, 66), test, CLASS_NAMES
    )
    torch.manual_seed(0)
    model = BeatCNN(small_config(3, channels=(4, 4, 4, 4, 8, 8), hidden=(16, 8, 8)))
    checkpoint = directory / "model.pt"
    save_checkpoint(checkpoint, model, CLASS_NAMES)
    history = directory / "training_history.tsv"
    history_frame().to_csv(history, sep="\t", index=False)
    out = directory / "out"
    outputs = {"metrics": out / "metrics.tsv", "predictions": out / "predictions.npz"}
    log = directory / "evaluate.log"
    with log_into(log):
        evaluate_model(
            dataset,
            split,
            checkpoint,
            outputs["metrics"],
            outputs["predictions"],
            EvaluationOptions(batch_size=7, device="cpu"),
        )
    figures = figure_paths(out / "figures")
    (out / "figures").mkdir(parents=True)
    plot_evaluation(
        outputs["predictions"], outputs["metrics"], history, **figures, task="six", split="intra"
    )
    return {
        "dir": directory,
        "dataset": dataset,
        "split": split,
        "out": outputs | figures,
        "beats": beats,
        "labels": labels,
        "test": test,
        "checkpoint": checkpoint,
        "history": history,
        "log": log,
    }


@contextmanager
def log_into(path: Path) -> Iterator[None]:
    """Root logging at INFO also into `path`, as the rule's log file."""
    handler = logging.FileHandler(path, mode="w")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def test_predictions_are_the_models_on_the_test_part(evaluated: dict):
    saved = PREDICTIONS.load(evaluated["out"]["predictions"])
    np.testing.assert_array_equal(saved["index"], evaluated["test"])
    np.testing.assert_array_equal(saved["y_true"], evaluated["labels"][evaluated["test"]])
    assert list(saved["class_names"]) == CLASS_NAMES
    model, _ = load_model(evaluated["checkpoint"])
    expected = predict_proba(model, evaluated["beats"][evaluated["test"]])
    np.testing.assert_allclose(saved["probabilities"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(saved["y_pred"], expected.argmax(axis=1))


def test_metrics_table_matches_the_predictions(evaluated: dict):
    table = metrics.read_metrics_table(evaluated["out"]["metrics"])
    saved = PREDICTIONS.load(evaluated["out"]["predictions"])
    expected = metrics.classification_table(saved["y_true"], saved["probabilities"], CLASS_NAMES)
    assert list(table["class"]) == list(expected["class"])
    for metric in metrics.METRICS:
        np.testing.assert_allclose(table[metric], expected[metric], atol=1e-6, err_msg=metric)
    pac = table.set_index("class").loc["PAC"]
    assert pac["support"] == 0 and np.isnan(pac["roc_auc"]) and "absent" in pac["note"]
    assert "PAC has no beat" in evaluated["log"].read_text()


def test_figures_are_written(evaluated: dict):
    for name in FIGURES:
        assert_png(Path(evaluated["out"][name]))


def test_plotting_code_is_no_input_of_the_evaluation():
    """Editing only ecgbeats/plots.py reruns the figures, not the evaluation (nor UMAP/SHAP,
    which read its predictions); editing the model reruns no figure."""
    assert "ecgbeats/plots.py" not in library_inputs("evaluate_model.py")
    assert "ecgbeats/plots.py" in library_inputs("plot_evaluation.py")
    assert "ecgbeats/model.py" not in library_inputs("plot_evaluation.py")


def test_evaluate_model_refuses_inputs_out_of_date(evaluated: dict, tmp_path: Path):
    outputs = (tmp_path / "metrics.tsv", tmp_path / "predictions.npz")
    options = EvaluationOptions(batch_size=64, device="cpu")
    names = ["NOR", "PAC", "PVC"]
    split = write_split(tmp_path / "renamed.npz", [0], [1], [2], names)
    with pytest.raises(InputError, match="renamed.npz: classes .* differ"):
        evaluate_model(evaluated["dataset"], split, evaluated["checkpoint"], *outputs, options)
    split = write_split(tmp_path / "far.npz", [0], [1], [2, 500], CLASS_NAMES)
    with pytest.raises(InputError, match="far.npz: indexes outside the 66 rows"):
        evaluate_model(evaluated["dataset"], split, evaluated["checkpoint"], *outputs, options)
    split = write_split(tmp_path / "empty.npz", [0], [1], [], CLASS_NAMES)
    with pytest.raises(InputError, match="empty.npz: the test part is empty"):
        evaluate_model(evaluated["dataset"], split, evaluated["checkpoint"], *outputs, options)
    assert not any(path.exists() for path in outputs)


def test_plot_evaluation_rejects_a_metrics_table_of_other_classes(evaluated: dict, tmp_path):
    metrics_path = tmp_path / "metrics.tsv"
    table = metrics.read_metrics_table(evaluated["out"]["metrics"])
    table.assign(**{"class": table["class"].replace("PVC", "V")}).to_csv(
        metrics_path, sep="\t", index=False
    )
    with pytest.raises(InputError, match="out of date"):
        plot_evaluation(
            evaluated["out"]["predictions"],
            metrics_path,
            evaluated["history"],
            **figure_paths(tmp_path),
            task="six",
            split="intra",
        )


def test_plot_evaluation_needs_a_whole_training_history(evaluated: dict, tmp_path):
    history = tmp_path / "history.tsv"
    history_frame().drop(columns="seconds").to_csv(history, sep="\t", index=False)
    with pytest.raises(InputError, match="history.tsv: not a training history"):
        plot_evaluation(
            evaluated["out"]["predictions"],
            evaluated["out"]["metrics"],
            history,
            **figure_paths(tmp_path),
            task="six",
            split="intra",
        )


def test_compare_with_paper(evaluated: dict, tmp_path: Path):
    paper = tmp_path / "paper.tsv"
    paper.write_text("# source: test\nclass\tf1\nNOR\t0.5\nPAC\t0.9\n")
    output = tmp_path / "paper_comparison.tsv"
    compare_with_paper(evaluated["out"]["metrics"], paper, output)
    table = pd.read_csv(output, sep="\t", keep_default_na=False, na_values=["NaN"])
    ours = metrics.read_metrics_table(evaluated["out"]["metrics"])
    assert list(table["class"]) == list(ours["class"])
    nor = table.set_index("class").loc["NOR"]
    assert nor["f1_paper"] == 0.5
    assert nor["f1_difference"] == pytest.approx(nor["f1_ours"] - 0.5, abs=1e-4)
    # PAC is absent from our test part: no difference can be computed
    assert np.isnan(table.set_index("class").loc["PAC", "f1_difference"])


def test_rules_run_in_the_workflow_and_make_a_report(tmp_path: Path):
    """evaluate_model, plot_evaluation and compare_with_paper through Snakemake, from made-up
    upstream files."""
    workflow = WorkflowCopy(tmp_path / "copy")
    names = ["NOR", "PB", "LBBB", "RBBB", "PAC", "PVC"]
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(6), 10)
    workflow.path("results/datasets").mkdir(parents=True)
    write_dataset(
        workflow.path("results/datasets/six.npz"),
        rng.normal(size=(60, 300)).astype(np.float32),
        labels,
        names,
    )
    base = workflow.path("results/intra/six")
    base.mkdir(parents=True)
    write_split(base / "split.npz", np.arange(0, 60, 2), [], np.arange(1, 60, 2), names)
    torch.manual_seed(0)
    save_checkpoint(base / "model.pt", BeatCNN(cnn_config(6)), names)
    history_frame().to_csv(base / "training_history.tsv", sep="\t", index=False)
    # upstream rules are not allowed, so the files above count as given
    rules = ("--allowed-rules", "evaluate_model", "plot_evaluation", "compare_with_paper")
    figures = [f"results/intra/six/figures/{name}.png" for name in FIGURE_FILES]
    workflow.run("results/intra/six/paper_comparison.tsv", *figures, *rules)
    comparison = pd.read_csv(base / "paper_comparison.tsv", sep="\t")
    assert list(comparison["class"]) == [*names, metrics.MACRO, metrics.WEIGHTED]
    for name in FIGURE_FILES:
        assert_png(base / "figures" / f"{name}.png")
    result = workflow.run(
        "results/intra/six/paper_comparison.tsv", *figures, *rules, "--report", "r.zip"
    )
    assert workflow.path("r.zip").stat().st_size > 10000, result.stderr[-2000:]
