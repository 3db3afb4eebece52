"""The evaluate_model, plot_evaluation and compare_with_paper scripts on a small model and data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import workflow_runner
from test_metrics import assert_png, history_frame
from workflow_runner import WorkflowCopy

from ecgbeats import metrics
from ecgbeats.errors import InputError
from ecgbeats.model import BeatCNN, CNNConfig, load_checkpoint, predict_proba, save_checkpoint
from helpers.library_inputs import library_sources

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = REPO_ROOT / "workflow" / "scripts"
CLASS_NAMES = ["NOR", "PVC", "PAC"]
FIGURES = ("confusion_matrix", "roc", "pr", "training_curves")  # output names of plot_evaluation
FIGURE_FILES = ("confusion_matrix", "roc_curves", "pr_curves", "training_curves")


class Named(list):
    """Stand-in for Snakemake's named lists: items by position, by name and as attributes."""

    def __init__(self, **items: object):
        super().__init__(items.values())
        self._items = dict(items)
        self.__dict__.update(items)

    def __getitem__(self, key):  # noqa: ANN001 - int, slice or name
        return self._items[key] if isinstance(key, str) else super().__getitem__(key)


class FakeSnakemake:
    def __init__(self, rule: str, input: Named, output: Named, log: Path, **extra: object):
        self.rule = rule
        self.input = input
        self.output = output
        self.log = [str(log)]
        self.threads = 1
        self.params = Named(**extra.get("params", {}))
        self.wildcards = Named(split="intra", task="six")


def run_script(name: str, smk: FakeSnakemake) -> None:
    workflow_runner.run_script(SCRIPTS / name, smk)


def library_inputs(script: str) -> set[str]:
    """The library modules a script's rule lists as inputs, relative to workflow/scripts."""
    return {Path(p).relative_to(SCRIPTS).as_posix() for p in library_sources(script, SCRIPTS)}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small dataset whose test part lacks class PAC, a checkpoint and a training history."""
    directory = tmp_path_factory.mktemp("evaluation")
    rng = np.random.default_rng(0)
    labels = np.array([0] * 40 + [1] * 20 + [2] * 6, dtype=np.int64)
    beats = rng.normal(size=(labels.size, 300)).astype(np.float32)
    beats[labels == 1, 140:160] -= 3.0  # something for the model to separate
    dataset = directory / "six.npz"
    np.savez_compressed(dataset, beats=beats, labels=labels, class_names=np.array(CLASS_NAMES))
    test = np.concatenate([np.arange(30, 40), np.arange(50, 60)]).astype(np.int64)
    split = directory / "split.npz"
    np.savez(split, train=np.arange(0, 30), validation=np.arange(60, 66), test=test)
    torch.manual_seed(0)
    model = BeatCNN(CNNConfig(n_classes=3, channels=(4, 4, 4, 4, 8, 8), hidden=(16, 8, 8)))
    checkpoint = directory / "model.pt"
    save_checkpoint(checkpoint, model, CLASS_NAMES)
    history = directory / "training_history.tsv"
    history_frame().to_csv(history, sep="\t", index=False)
    out = directory / "out"
    computed = Named(metrics=str(out / "metrics.tsv"), predictions=str(out / "predictions.npz"))
    figures = Named(**{name: str(out / "figures" / f"{name}.png") for name in FIGURES})
    (out / "figures").mkdir(parents=True)
    smk = FakeSnakemake(
        "evaluate_model",
        Named(dataset=str(dataset), split=str(split), model=str(checkpoint)),
        computed,
        directory / "evaluate.log",
        params={"batch_size": 7, "device": "cpu"},
    )
    run_script("evaluate_model.py", smk)
    smk = FakeSnakemake(
        "plot_evaluation",
        Named(predictions=computed.predictions, metrics=computed.metrics, history=str(history)),
        figures,
        directory / "plot_evaluation.log",
    )
    run_script("plot_evaluation.py", smk)
    return {
        "dir": directory,
        "out": Named(**computed._items, **figures._items),
        "beats": beats,
        "labels": labels,
        "test": test,
        "checkpoint": checkpoint,
        "log": directory / "evaluate.log",
    }


def test_predictions_are_the_models_on_the_test_part(evaluated: dict):
    with np.load(evaluated["out"].predictions) as saved:
        np.testing.assert_array_equal(saved["index"], evaluated["test"])
        np.testing.assert_array_equal(saved["y_true"], evaluated["labels"][evaluated["test"]])
        assert list(saved["class_names"]) == CLASS_NAMES
        model, _ = load_checkpoint(evaluated["checkpoint"])
        expected = predict_proba(model, evaluated["beats"][evaluated["test"]])
        np.testing.assert_allclose(saved["probabilities"], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(saved["y_pred"], expected.argmax(axis=1))


def test_metrics_table_matches_the_predictions(evaluated: dict):
    table = pd.read_csv(
        evaluated["out"].metrics, sep="\t", keep_default_na=False, na_values=["NaN"]
    )
    with np.load(evaluated["out"].predictions) as saved:
        expected = metrics.classification_table(
            saved["y_true"], saved["probabilities"], CLASS_NAMES
        )
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
    which read its predictions)."""
    assert "ecgbeats/plots.py" not in library_inputs("evaluate_model.py")
    assert "ecgbeats/plots.py" in library_inputs("plot_evaluation.py")


def test_plot_evaluation_rejects_a_metrics_table_of_other_classes(evaluated: dict, tmp_path):
    metrics_path = tmp_path / "metrics.tsv"
    table = pd.read_csv(evaluated["out"].metrics, sep="\t", keep_default_na=False)
    table.assign(**{"class": table["class"].replace("PVC", "V")}).to_csv(
        metrics_path, sep="\t", index=False
    )
    smk = FakeSnakemake(
        "plot_evaluation",
        Named(
            predictions=evaluated["out"].predictions,
            metrics=str(metrics_path),
            history=str(evaluated["dir"] / "training_history.tsv"),
        ),
        Named(**{name: str(tmp_path / f"{name}.png") for name in FIGURES}),
        tmp_path / "plot_evaluation.log",
    )
    with pytest.raises(InputError, match="out of date"):
        run_script("plot_evaluation.py", smk)


def test_compare_with_paper_script(evaluated: dict, tmp_path: Path):
    paper = tmp_path / "paper.tsv"
    paper.write_text("# source: test\nclass\tf1\nNOR\t0.5\nPAC\t0.9\n")
    output = tmp_path / "paper_comparison.tsv"
    smk = FakeSnakemake(
        "compare_with_paper",
        Named(metrics=evaluated["out"].metrics, paper=str(paper)),
        Named(comparison=str(output)),
        tmp_path / "compare.log",
    )
    run_script("compare_with_paper.py", smk)
    table = pd.read_csv(output, sep="\t", keep_default_na=False, na_values=["NaN"])
    ours = pd.read_csv(evaluated["out"].metrics, sep="\t", keep_default_na=False, na_values=["NaN"])
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
    np.savez_compressed(
        workflow.path("results/datasets/six.npz"),
        beats=rng.normal(size=(60, 300)).astype(np.float32),
        labels=labels,
        class_names=np.array(names),
    )
    base = workflow.path("results/intra/six")
    base.mkdir(parents=True)
    np.savez(base / "split.npz", train=np.arange(0, 60, 2), validation=[], test=np.arange(1, 60, 2))
    torch.manual_seed(0)
    save_checkpoint(base / "model.pt", BeatCNN(CNNConfig(n_classes=6)), names)
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
