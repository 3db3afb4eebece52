"""The benchmark scripts run against the current library and config (smoke runs; their figures
are measurements for the README, never asserted here)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_stages_training import (
    INTER,
    INTRA,
    NAMES,
    SMALL_CNN,
    train_stage,
    write_dataset,
    write_timed_dataset,
)

from ecgbeats.artifacts import DATASET, SPLIT
from ecgbeats.model import INFERENCE_BATCH
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.stages.splitting import split_dataset
from synthetic_ecg import write_record

REPO_ROOT = Path(__file__).resolve().parents[1]


def inter_split_hiding_the_test_part(tmp_path: Path, dataset: Path) -> Path:
    """The inter split of `dataset` at ``inter/aami/split.npz`` under `tmp_path`, its test rows
    pointing outside the dataset: a script that ever reads them fails."""
    split_path = tmp_path / "inter" / "aami" / "split.npz"
    split_dataset(dataset, split_path, tmp_path / "counts.tsv", INTER)
    split = dict(SPLIT.load(split_path))
    split["test"] = split["test"] + 10_000
    SPLIT.save(split_path, **split)
    return split_path


def run_benchmark(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_bench_training_runs_and_prints_its_ratios():
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_training.py",
            "--samples",
            "256",
            "--batch-size",
            "128",
            "--validation",
            "32",
            "--repeats",
            "1",
            "--threads",
            "1",
            # config.yaml's 10,240 calibration beats are 10 % of an epoch of 102,400 beats, hence
            # 26 of these 256 samples.
            "--epoch-beats",
            "102400",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for line in (
        "achieved / matmul FLOP/s",
        "epoch / bare loop time",
        "without BN calibration",
        "speed-up over float32",
    ):
        assert line in result.stdout
    assert result.stdout.count("--- precision") == 2  # float32 and bfloat16 in one run
    assert (
        "BN calibration beats per epoch          26  (train.bn_calibration_beats" in result.stdout
    )


def test_bench_inference_rates_every_batch_size_against_the_library_default():
    result = run_benchmark(
        "benchmarks/bench_inference.py",
        "--beats",
        "300",
        "--repeats",
        "1",
        "--batch-sizes",
        "7",
        "600",
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line[:10].strip().isdigit()]
    sizes = [int(row[0]) for row in rows]
    # The asked sizes and the library's own, which rates 1.000 against itself.
    assert sizes == sorted({7, 600, INFERENCE_BATCH})
    assert [row[2] for row in rows if int(row[0]) == INFERENCE_BATCH] == ["1.000"]


def test_ablation_cross_validates_over_ds1_records_without_reading_the_test_part(
    tmp_path: Path,
) -> None:
    dataset = write_dataset(tmp_path / "datasets" / "aami.npz", n=600)
    split = SPLIT.load(inter_split_hiding_the_test_part(tmp_path, dataset))
    out = tmp_path / "ablation.tsv"
    common = ["--results", str(tmp_path), "--out", str(out), "--epochs", "1", "--threads", "1"]
    result = run_benchmark(
        "benchmarks/ablate_inter.py",
        *common,
        "--folds",
        "3",
        "--settings",
        "rr_all_focal",
        "--offsets",
        "--record-bn",
        "--predictions",
        str(tmp_path / "predictions"),
    )
    assert result.returncode == 0, result.stderr
    for variant in ("rr_all_focal", "rr_all_focal+offsets", "rr_all_focal+record_bn"):
        beats = pd.read_csv(tmp_path / "predictions" / f"{variant}_seed42.tsv", sep="\t")
        assert len(beats) == 300 and sorted(beats["record"].astype(str).unique()) == [
            "101",
            "106",
            "108",
        ]
        assert set(beats["true"]) | set(beats["predicted"]) <= set(NAMES)
        probabilities = beats[[f"p_{name}" for name in NAMES]].to_numpy()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
        if "+" not in variant:  # the plain variant decides by the largest probability
            assert (np.asarray(NAMES)[probabilities.argmax(axis=1)] == beats["predicted"]).all()
    assert "cv3 over DS1 records: [['101'], ['106'], ['108']]" in result.stdout
    assert result.stdout.count("offsets [0.0, ") == 3  # one fit per fold
    result = run_benchmark("benchmarks/ablate_inter.py", *common, "--settings", "paper")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, sep="\t", dtype={"best_epoch": str})
    # The same three models decide plainly, with the offsets and with each record's own
    # BatchNorm statistics: three rows.
    assert table["setting"].tolist() == [
        "rr_all_focal",
        "rr_all_focal+offsets",
        "rr_all_focal+record_bn",
        "paper",
    ]
    assert table["scheme"].tolist() == ["cv3", "cv3", "cv3", "validation"]
    # Cross-validation scores every beat of the three DS1 records once (600 beats over six
    # records); the validation scheme only the split's validation rows.
    assert table["scored_beats"].tolist() == [300, 300, 300, split["validation"].size]
    assert table.loc[0, "best_epoch"] == table.loc[2, "best_epoch"] == "1,1,1"
    assert table["validation_macro_f1"].between(0, 1).all()
    assert pd.isna(table.loc[3, "fold_macro_f1_sd"]) and table.loc[0, "fold_macro_f1_sd"] >= 0
    assert len(str(table.loc[1, "fold_macro_f1"]).split(",")) == 3
    grouped = tmp_path / "grouped.tsv"
    result = run_benchmark(
        "benchmarks/ablate_inter.py",
        *common[:2],
        "--out",
        str(grouped),
        *common[4:],
        "--folds",
        "3",
        "--settings",
        "rr_raw_record_median_focal_record_bn",
        "--record-bn",
    )
    assert result.returncode == 0, result.stderr
    # Trained on batches of one record and scored per record already: one row, no +record_bn.
    table = pd.read_csv(grouped, sep="\t")
    assert table["setting"].tolist() == ["rr_raw_record_median_focal_record_bn"]
    assert table["record_batches"].tolist() == [True] and table.loc[0, "scored_beats"] == 300
    failed = run_benchmark(
        "benchmarks/ablate_inter.py", *common, "--settings", "rr_all_record_median_two_leads"
    )
    assert failed.returncode != 0 and "needs --data-dir" in failed.stderr
    failed = run_benchmark("benchmarks/ablate_inter.py", *common, "--folds", "2")
    assert failed.returncode != 0 and "--folds must be 0 or at least 3" in failed.stderr


def test_precision_comparison_trains_through_the_stage_and_prints_both(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "datasets" / "six.npz")
    split_dataset(dataset, tmp_path / "intra" / "six" / "split.npz", tmp_path / "c.tsv", INTRA)
    result = run_benchmark(
        "benchmarks/compare_precision.py",
        "--results",
        str(tmp_path),
        "--epochs",
        "1",
        "--threads",
        "1",
    )
    assert result.returncode == 0, result.stderr
    for line in ("bfloat16: epoch speed-up over float32", "bfloat16: test macro-F1 minus"):
        assert line in result.stdout


def test_workflow_walltime_groups_benchmark_files_by_rule(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        import workflow_walltime
    finally:
        sys.path.pop(0)
    out = tmp_path / "benchmarks" / "out"
    files = {
        "data/verify_100.tsv": 1.5,
        "data/verify_101.tsv": 2.5,
        "training/intra/six/seeds/42/train_model.tsv": 100.0,
        "detection/100.tsv": 0.25,
        "detection/evaluate_detector.tsv": 3.0,  # also matches detection/{record}.tsv
        "datasets/six.tsv": 2.0,
        "datasets/plot_class_distribution_six.tsv": 1.0,  # also matches datasets/{task}.tsv
        "walltime_overlay.tsv": 7.0,  # no rule's benchmark: ignored
    }
    for name, seconds in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"s\th:m:s\n{seconds}\t0:00:01\n")
    times = workflow_walltime.rule_times(out, REPO_ROOT / "workflow" / "rules")
    assert times.loc["verify_record", "jobs"] == 2
    assert times.loc["verify_record", "seconds"] == 4.0
    assert times.loc["verify_record", "longest_job_s"] == 2.5
    assert times.loc["train_model", "seconds"] == 100.0
    assert times.loc["detect_record", "jobs"] == 1
    assert times.loc["evaluate_detector", "jobs"] == 1
    assert times.loc["build_dataset", "seconds"] == 2.0
    assert times.loc["plot_class_distribution", "seconds"] == 1.0
    assert times.index[0] == "train_model" and times["share"].sum() == pytest.approx(1.0)
    history = tmp_path / "results" / "intra" / "six" / "seeds" / "42" / "training_history.tsv"
    history.parent.mkdir(parents=True)
    history.write_text("epoch\tseconds\n1\t10\n2\t20\n")
    epochs = workflow_walltime.epoch_seconds(tmp_path / "results")
    assert epochs.to_dict("records") == [
        {"model": "intra/six/seeds/42", "epochs": 2, "seconds_per_epoch": 15.0}
    ]


def test_ablation_recuts_the_ds1_records_only_with_a_second_lead_or_a_wider_window(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import ablate_inter  # noqa: PLC0415 (a script, importable only from its folder)

    from ecgbeats.artifacts import RECORD_BEATS  # noqa: PLC0415
    from ecgbeats.denoising import DenoisingOptions  # noqa: PLC0415
    from ecgbeats.stages.preprocess import preprocess_record  # noqa: PLC0415

    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    database = tmp_path / "db"
    write_record(database, "101", ["N"] * 12 + ["V"] + ["N"] * 12, seed=1)
    write_record(database, "106", ["N"] * 20, leads=("V5", "MLII"), seed=2)
    saved = []
    for record in ("101", "106"):
        preprocess_record(
            database / f"{record}.hea",
            tmp_path / f"{record}.npz",
            config["leads"],
            DenoisingOptions(**config["denoise"]),
            ablate_inter.BeatOptions(**config["beats"]),
        )
        saved.append(RECORD_BEATS.load(tmp_path / f"{record}.npz"))
    # A DS2 row of record 100, whose files do not exist: it must never be read.
    data = {
        "beats": np.vstack([b["beats"] for b in saved] + [np.zeros((1, 300))]),
        "records": np.array(
            ["101"] * len(saved[0]["samples"]) + ["106"] * len(saved[1]["samples"]) + ["100"]
        ),
        "samples": np.concatenate([b["samples"] for b in saved] + [np.array([500])]),
        "record_ids": np.array(["101", "106", "100"]),
        "median_beats": np.vstack([b["median_beat"] for b in saved] + [np.zeros(300)]),
    }
    ds1 = np.arange(data["records"].size - 1)
    two, available = ablate_inter.recut_beats(
        data, ds1, database, config, ablate_inter.SETTINGS["rr_raw_record_median_focal_two_leads"]
    )
    assert two["beats"].shape == (ds1.size + 1, 600) and available[ds1].all() and not available[-1]
    # The first lead is cut exactly as the workflow cuts it; the second is the other lead.
    np.testing.assert_array_equal(two["beats"][ds1, :300], data["beats"][ds1])
    np.testing.assert_array_equal(two["median_beats"][:2, :300], data["median_beats"][:2])
    assert not np.allclose(two["beats"][ds1, 300:], data["beats"][ds1])
    wide, available = ablate_inter.recut_beats(
        data, ds1, database, config, ablate_inter.SETTINGS["rr_raw_record_median_focal_wide"]
    )
    assert wide["beats"].shape == (ds1.size + 1, 510)
    # A beat closer than 1 s to its record's start cannot be cut with 1 s before the peak.
    np.testing.assert_array_equal(available[ds1], data["samples"][ds1] >= 360)
    assert not available[-1]


def test_ablation_with_beat_gives_the_departure_from_the_median_and_the_beat_itself() -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import ablate_inter  # noqa: PLC0415 (a script, importable only from its folder)

    from ecgbeats.model import dataset_inputs  # noqa: PLC0415

    rng = np.random.default_rng(0)
    data = {
        "beats": rng.normal(size=(3, 8)).astype(np.float32),
        "median_beats": rng.normal(size=(2, 8)).astype(np.float32),
        "record_ids": np.array(["101", "106"]),
        "records": np.array(["106", "101", "106"]),
        "labels": np.zeros(3, dtype=int),
        "rr_features": rng.uniform(0.5, 1.5, size=(3, len(RR_FEATURES))),
    }
    setting = ablate_inter.SETTINGS["rr_raw_record_median_focal_with_beat"]
    assert setting.channels == 2 and setting.leads == 1
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    doubled = ablate_inter.with_beat_channel(data)
    network = ablate_inter.network_config(setting, doubled, ["N", "S"], config)
    inputs = dataset_inputs(network, doubled)
    medians = data["median_beats"][[1, 0, 1]]
    np.testing.assert_allclose(inputs[:, :8], data["beats"] - medians, rtol=1e-6)
    np.testing.assert_array_equal(inputs[:, 8:16], data["beats"])
    assert inputs.shape == (3, 16 + len(setting.rr_features))


def test_ablation_conducted_trains_n_and_s_as_one_class_and_writes_it_under_n(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    import ablate_inter  # noqa: PLC0415 (a script, importable only from its folder)

    names = ["N", "S", "V", "F"]
    merged, kept = ablate_inter.conducted_labels(np.array([0, 1, 2, 3, 1, 0]), names)
    assert kept == ["N", "V", "F"]
    np.testing.assert_array_equal(merged, [0, 0, 1, 2, 0, 0])  # S is N; V and F move down
    three = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    four = ablate_inter.with_premature_column(three, names)
    expected = np.array([[0.7, 0.0, 0.2, 0.1], [0.1, 0.0, 0.1, 0.8]], dtype=np.float32)
    np.testing.assert_array_equal(four, expected)
    assert four.dtype == np.float32
    assert ablate_inter.SETTINGS["rr_raw_record_median_focal_conducted"].conducted


def test_ablation_sqrt_weights_is_the_shipped_setting_with_tempered_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    import ablate_inter  # noqa: PLC0415 (a script, importable only from its folder)

    tempered = ablate_inter.SETTINGS["rr_raw_record_median_focal_sqrt_weights"]
    shipped = ablate_inter.SETTINGS["rr_raw_record_median_focal"]
    assert shipped.class_weight_power == 1.0
    assert replace(tempered, class_weight_power=1.0) == shipped

    # The power reaches the balancing of the training rows.
    class Captured(Exception):
        pass

    def capture(beats, labels, names, options):
        raise Captured(options)

    monkeypatch.setattr(ablate_inter, "balance", capture)
    data = {
        "beats": np.zeros((4, 300), dtype=np.float32),
        "median_beats": np.zeros((1, 300), dtype=np.float32),
        "record_ids": np.array(["101"]),
        "rr_features": np.ones((4, len(RR_FEATURES)), dtype=np.float32),
        "labels": np.array([0, 1, 2, 3]),
        "records": np.array(["101"] * 4),
    }
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    rows = {part: np.arange(4) for part in ("train", "validation", "score")}
    with pytest.raises(Captured) as caught:
        ablate_inter.train_and_predict(
            tempered, data, ["N", "S", "V", "F"], rows, config, 1, 0, False, False
        )
    options = caught.value.args[0]
    assert (options.method, options.class_weight_power) == ("class_weight", 0.5)


def test_seed_ensemble_averages_the_probabilities_of_the_same_beats(tmp_path: Path) -> None:
    beats = pd.DataFrame({"record": ["101", "101", "106"], "sample": [10, 20, 30]})
    beats["true"] = ["N", "S", "V"]
    # Seed 1 is sure of the wrong class for the second beat, seed 2 mildly right about it; their
    # mean is right (0.35 + 0.7 > 0.55 + 0.2), while each seed alone is right on two beats.
    seeds = {
        1: [[0.9, 0.05, 0.05], [0.55, 0.35, 0.1], [0.2, 0.1, 0.7]],
        2: [[0.4, 0.5, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]],
    }
    for seed, probabilities in seeds.items():
        table = beats.copy()
        table["predicted"] = "N"  # unused: the script decides from the probabilities
        table[["p_N", "p_S", "p_V"]] = probabilities
        table.to_csv(tmp_path / f"demo_seed{seed}.tsv", sep="\t", index=False)
    out = tmp_path / "ensemble.tsv"
    arguments = ["--predictions", str(tmp_path), "--setting", "demo", "--out", str(out)]
    result = run_benchmark("benchmarks/ensemble_seeds.py", *arguments, "--seeds", "1", "2")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, sep="\t")
    assert table["model"].tolist() == ["seed 1", "seed 2", "ensemble of 2"]
    assert table["accuracy"].tolist() == pytest.approx([2 / 3, 2 / 3, 1.0], abs=1e-4)
    assert table.loc[2, "macro_f1"] == pytest.approx(1.0)
    beats.iloc[:1].to_csv(tmp_path / "demo_seed3.tsv", sep="\t", index=False)
    failed = run_benchmark("benchmarks/ensemble_seeds.py", *arguments, "--seeds", "1", "3")
    assert failed.returncode != 0 and "no probability columns" in failed.stderr
    failed = run_benchmark("benchmarks/ensemble_seeds.py", *arguments, "--seeds", "1", "4")
    assert failed.returncode != 0 and "demo_seed4.tsv: no predictions" in failed.stderr


def test_prematurity_cv_decides_each_fold_with_its_training_folds_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_timed_dataset(tmp_path / "datasets" / "aami.npz", n=600)
    inter_split_hiding_the_test_part(tmp_path, dataset)
    data = DATASET.load(dataset)
    ds1 = np.isin(data["records"], ["101", "106", "108"])
    labels = data["labels"][ds1]
    # A CNN that cannot tell NOR from PAC (equal probabilities) but knows PVC: alone it calls
    # every conducted beat NOR; the decision, fitted on other records, tells them by timing.
    probabilities = np.where((labels == 1)[:, None], [0.1, 0.8, 0.1], [0.45, 0.1, 0.45])
    table = pd.DataFrame(
        {
            "record": data["records"][ds1],
            "sample": data["samples"][ds1],
            "true": np.asarray(NAMES)[labels],
            "predicted": "NOR",
            **{f"p_{name}": probabilities[:, i] for i, name in enumerate(NAMES)},
        }
    )
    table.to_csv(tmp_path / "demo_seed7.tsv", sep="\t", index=False)
    out = tmp_path / "prematurity.tsv"
    arguments = [
        *("--results", str(tmp_path), "--predictions", str(tmp_path), "--setting", "demo"),
        *("--folds", "3", "--normal", "NOR", "--premature", "PAC", "--out", str(out)),
    ]
    result = run_benchmark("benchmarks/prematurity_cv.py", *arguments, "--seeds", "7")
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out, sep="\t").set_index("decision")
    gates = [
        "+prematurity+fibrillation(irregularity)",
        "+prematurity+fibrillation(irregularity, p_wave_regularity)",
    ]
    assert scores.index.tolist() == ["CNN alone", "+prematurity", *gates]
    out.unlink()
    filtered = run_benchmark(
        "benchmarks/prematurity_cv.py",
        *arguments,
        "--seeds",
        "7",
        "--gate-inputs",
        "irregularity",
        "--ventricular",
        "PVC",
        "--ventricular-context",
        "10",
        "2",
    )
    assert filtered.returncode == 0, filtered.stderr
    # Paired per fold against the first gate: itself gains nothing, in none of the 3 folds.
    assert f"  {gates[0]}: +0.0000 ± 0.0000, higher in 0 of 3" in filtered.stdout
    rows = pd.read_csv(out, sep="\t").set_index("decision")
    assert rows.index.tolist() == [
        "CNN alone",
        "+prematurity",
        gates[0],
        f"{gates[0]}+ventricular(10, 2)",
    ]
    # The mock CNN gives every beat but the PACs a PVC probability of 0.45, so the PACs' neighbours
    # look ventricular: the filter takes PAC calls back.
    assert rows.loc[f"{gates[0]}+ventricular(10, 2)", "PAC_se"] < rows.loc[gates[0], "PAC_se"]
    out.unlink()
    smoothed = run_benchmark(
        "benchmarks/prematurity_cv.py",
        *arguments,
        *("--seeds", "7", "--gate-inputs", "irregularity", "--template-neighbours", "3"),
    )
    assert smoothed.returncode == 0, smoothed.stderr
    rows = pd.read_csv(out, sep="\t").set_index("decision")
    templated = f"+templates(3)+{gates[0][1:]}"
    assert rows.index.tolist() == ["CNN alone", "+prematurity", gates[0], templated]
    # Paired against the unsmoothed gate, and printed like every other decision.
    assert f"  {templated}: " in smoothed.stdout
    # Bad filter arguments are refused by name (in process: a subprocess each would take seconds).
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import prematurity_cv  # noqa: PLC0415 (a script, importable only from its folder)

    refusals = {
        ("10",): "pairs HALF SCALE",
        ("0", "2"): "HALF must be a whole number",
        ("2.5", "2"): "HALF must be a whole number",
        ("10", "0"): "HALF must be a whole number",
        ("10", "2"): "--ventricular V: not one of the classes",  # the classes here are NOR, ...
    }
    for bad, message in refusals.items():
        argv = ["prematurity_cv.py", *arguments, "--seeds", "7", "--ventricular-context", *bad]
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit):
            prematurity_cv.main()
        assert message in capsys.readouterr().err
    argv = ["prematurity_cv.py", *arguments, "--seeds", "7", "--template-neighbours", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit):
        prematurity_cv.main()
    assert "each K must be at least 2" in capsys.readouterr().err
    argv = [*argv[:-1], "3", "--fibrillation"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit):
        prematurity_cv.main()
    assert "--template-neighbours needs the fibrillation gate" in capsys.readouterr().err
    # Every fifth beat lies in fibrillation: each gate, learnt from the rhythm labels, calls
    # those PAC beats NOR, as it should (an early beat in fibrillation is not premature).
    for gate in gates:
        assert scores.loc[gate, "PAC_se"] < 0.9
        assert scores.loc[gate, "PAC_ppv"] == pytest.approx(1.0)
    out.unlink()
    result = run_benchmark(
        "benchmarks/prematurity_cv.py", *arguments, "--seeds", "7", "--fibrillation"
    )
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out, sep="\t").set_index("decision")
    assert scores.index.tolist() == ["CNN alone", "+prematurity"]
    assert scores.loc["CNN alone", "PAC_f1"] == 0.0
    assert scores.loc["+prematurity", "PAC_f1"] == pytest.approx(1.0)
    assert scores.loc["+prematurity", "macro_f1"] == pytest.approx(1.0)
    # Each fold's macro-F1, for paired comparisons across settings: all right in every fold.
    assert scores.loc["+prematurity", "fold_macro_f1"] == "1.0000,1.0000,1.0000"
    assert scores.loc["+prematurity", "PVC_f1"] == scores.loc["CNN alone", "PVC_f1"]
    # A beat that is not a DS1 beat is refused.
    table.iloc[:1].assign(sample=-1).to_csv(tmp_path / "demo_seed8.tsv", sep="\t", index=False)
    failed = run_benchmark("benchmarks/prematurity_cv.py", *arguments, "--seeds", "8")
    assert failed.returncode != 0 and "not DS1 beats" in failed.stderr


def test_prematurity_cv_ventricular_context_reads_neighbours_in_their_record_in_time_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    import prematurity_cv  # noqa: PLC0415 (a script, importable only from its folder)

    # Record a's beats in time order are rows 2, 0, 3, 1 (V probabilities 0.8, 0, 0.4, 0.2);
    # record b's two beats, rows 4 and 5; record c has one beat.
    values = np.array([0.0, 0.2, 0.8, 0.4, 1.0, 0.6, 0.9])
    records = np.array(["a", "a", "a", "a", "b", "b", "c"])
    samples = np.array([200, 900, 100, 500, 50, 10, 7])
    means = prematurity_cv.neighbour_mean(values, records, samples, 1)
    # Itself left out, one beat on each side, in time order; a lone beat gets 0.
    np.testing.assert_allclose(means, [0.6, 0.4, 0.0, 0.1, 0.6, 1.0, 0.0])
    np.testing.assert_allclose(
        prematurity_cv.neighbour_mean(values, records, samples, 5)[:4], [1.4 / 3, 0.4, 0.2, 1 / 3]
    )
    # The filter moves that share (x scale, at most all) of the premature class to the normal.
    decided = np.tile([0.2, 0.6, 0.2], (7, 1))
    filtered = prematurity_cv.ventricular_filter(decided, means, 0, 1, 2.0)
    share = np.minimum(2 * means, 1.0)
    np.testing.assert_allclose(filtered[:, 1], 0.6 * (1 - share))
    np.testing.assert_allclose(filtered[:, 0], 0.2 + 0.6 * share)
    np.testing.assert_array_equal(filtered[:, 2], decided[:, 2])


def test_prematurity_cv_templates_average_the_nearest_beats_of_the_same_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    import prematurity_cv  # noqa: PLC0415 (a script, importable only from its folder)

    # Record a holds two shapes (near 0 and near 5), record b one shape that lies beside a's first.
    waveforms = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.2, 5.0], [0.0, 0.05], [0.05, 0.0]])
    records = np.array(["a", "a", "a", "a", "b", "b"])
    probabilities = np.array(
        [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.2, 0.8], [0.9, 0.1], [0.7, 0.3]]
    )
    smoothed = prematurity_cv.template_mean(probabilities, waveforms, records, 2)
    # Each beat with its nearest beat of the same shape in its own record, never another record's.
    np.testing.assert_allclose(
        smoothed, [[0.75, 0.25], [0.75, 0.25], [0.1, 0.9], [0.1, 0.9], [0.8, 0.2], [0.8, 0.2]]
    )
    # K beyond a record's size averages the whole record; the rows still sum to 1.
    everything = prematurity_cv.template_mean(probabilities, waveforms, records, 10)
    np.testing.assert_allclose(everything[:4], np.tile([0.425, 0.575], (4, 1)))
    np.testing.assert_allclose(everything[4:], np.tile([0.8, 0.2], (2, 1)))


def test_prematurity_cv_fits_on_the_folds_that_trained_the_scoring_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    import prematurity_cv  # noqa: PLC0415 (a script, importable only from its folder)

    fitted_on: list[set[int]] = []
    fit = prematurity_cv.fit_prematurity

    def spy(rr_features, names, labels, normal, premature, in_fibrillation, gate_inputs):
        fitted_on.append(set(np.unique(rr_features[:, 0]).astype(int)))
        assert in_fibrillation is None or in_fibrillation.size == labels.size
        return fit(rr_features, names, labels, normal, premature, in_fibrillation, gate_inputs)

    monkeypatch.setattr(prematurity_cv, "fit_prematurity", spy)
    fold_of = np.repeat(np.arange(4), 6)
    rr = np.full((24, len(prematurity_cv.RR_FEATURES)), 0.8)
    rr[:, 0] = fold_of + 1.0  # the fold, readable in the fitted rows ("previous")
    labels = np.tile([0, 0, 1, 1, 2, 0], 4)
    probabilities = np.full((24, 3), 1 / 3)
    prematurity_cv.fold_decisions(probabilities, rr, labels, fold_of, 4, 0, 1, None)
    # Fold i was scored by a model trained on every fold but i and i + 1 (its selection fold).
    assert fitted_on == [{3, 4}, {1, 4}, {1, 2}, {2, 3}]


def test_decision_effect_scores_each_seed_with_and_without_its_decision(tmp_path: Path) -> None:
    dataset = write_timed_dataset(tmp_path / "datasets" / "aami.npz", n=600)
    run = tmp_path / "inter" / "aami"
    split_dataset(dataset, run / "split.npz", tmp_path / "counts.tsv", INTER)
    network = {**SMALL_CNN, "rr_features": ["previous", "next", "local", "record"]}
    decision_of_5 = {"normal": "NOR", "premature": "PAC", "fibrillation": ["(AFIB"]}
    for seed, decision in ((5, decision_of_5), (6, None)):
        train_stage(
            dataset, run / "split.npz", run / "seeds" / str(seed) / "model.pt", network, decision
        )
    out = tmp_path / "effect.tsv"
    arguments = ["benchmarks/decision_effect.py", "--results", str(tmp_path), "--threads", "1"]
    result = run_benchmark(*arguments, "--seeds", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, sep="\t")
    assert table["decision"].tolist() == [
        "with the decision",
        "without the fibrillation gate",
        "network alone",
    ]
    # The rhythm tells PAC from NOR exactly here; the network alone, after two epochs, does not.
    # The gate calls the PAC beats in fibrillation (every fifth beat) NOR.
    with_decision, ungated, alone = table.iloc[0], table.iloc[1], table.iloc[2]
    assert ungated["PAC_f1"] == pytest.approx(1.0)
    assert with_decision["PAC_se"] < 1.0 and with_decision["PAC_ppv"] == pytest.approx(1.0)
    assert alone["PAC_f1"] < 0.9
    assert "with the decision" in result.stdout and "macro_f1" in result.stdout
    failed = run_benchmark(*arguments, "--seeds", "6")
    assert failed.returncode != 0 and "seed 6: the model has no premature-beat decision" in (
        failed.stderr
    )


def test_timing_reference_cv_scores_every_reference_on_ds1_records_only(tmp_path: Path) -> None:
    from ecgbeats.rhythm import rr_features  # noqa: PLC0415

    database = tmp_path / "db"
    rng = np.random.default_rng(3)
    rows: dict[str, list] = {key: [] for key in ("records", "samples", "labels", "rr", "rhythms")}
    for i, record in enumerate(("101", "106", "108", "100", "103")):
        symbols = rng.choice(["N", "A", "V"], size=120, p=[0.7, 0.2, 0.1]).tolist()
        peaks = write_record(database, record, symbols, seed=i)
        rows["records"] += [record] * len(peaks)
        rows["samples"].append(peaks)
        rows["labels"].append(np.array([{"N": 0, "V": 1, "A": 2}[s] for s in symbols]))
        rows["rr"].append(rr_features(peaks, 360.0))
        # The third quarter of every record lies in atrial fibrillation (write_record's notes).
        quarter = np.arange(len(peaks)) * 4 // len(peaks)
        rows["rhythms"].append(np.where(quarter == 2, "(AFIB", "(N"))
    # Records 100 and 103 are DS2: their files are removed, so a script that reads them fails.
    for path in [*database.glob("100.*"), *database.glob("103.*")]:
        path.unlink()
    n = len(rows["records"])
    dataset = tmp_path / "datasets" / "aami.npz"
    dataset.parent.mkdir()
    labels = np.concatenate(rows["labels"])
    DATASET.save(
        dataset,
        class_names=np.array(NAMES),
        record_ids=np.array(["101", "106", "108", "100", "103"]),
        median_beats=np.zeros((5, 300), dtype=np.float32),
        beats=np.zeros((n, 300), dtype=np.float32),
        labels=labels,
        records=np.array(rows["records"]),
        symbols=np.array(["N", "V", "A"])[labels],
        samples=np.concatenate(rows["samples"]).astype(np.int64),
        rr_features=np.concatenate(rows["rr"]),
        rhythms=np.concatenate(rows["rhythms"]),
    )
    inter_split_hiding_the_test_part(tmp_path, dataset)
    out = tmp_path / "references.tsv"
    arguments = [
        *("--results", str(tmp_path), "--data-dir", str(database), "--folds", "3"),
        *("--normal", "NOR", "--premature", "PAC"),
    ]
    result = run_benchmark("benchmarks/timing_reference_cv.py", *arguments, "--out", str(out))
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out, sep="\t")
    assert len(scores) == 2 * 9 and scores["gate"].tolist() == [False, True] * 9
    shipped = scores.iloc[0]
    assert (shipped["reference"], shipped["record"]) == ("mean of 10 intervals", "median")
    # The synthetic PAC beats come early and are followed by a pause: timing finds them.
    assert shipped["f1"] > 0.9
    # Gated, the PAC beats of the fibrillation quarter are called NOR: fewer found, all right.
    assert scores.iloc[1]["se"] < shipped["se"]
    assert scores.iloc[1]["ppv"] == pytest.approx(1.0)
    # Annotations that are not those the dataset was made from are refused.
    write_record(database, "106", ["N"] * 120, seed=9)
    failed = run_benchmark("benchmarks/timing_reference_cv.py", *arguments)
    assert failed.returncode != 0
    assert "record 106: the dataset's beats are not among its annotations" in failed.stderr


def test_reference_windows_match_the_local_rr_feature() -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import timing_reference_cv  # noqa: PLC0415 (a script, importable only from its folder)

    from ecgbeats.rhythm import rr_features  # noqa: PLC0415

    samples = np.cumsum(np.random.default_rng(0).uniform(200, 400, 60)).astype(np.int64)
    local = rr_features(samples, 360.0)[:, RR_FEATURES.index("local")]
    mean = timing_reference_cv.reference_rates(samples, 360.0, "mean", 10)
    np.testing.assert_allclose(mean, local, rtol=1e-6)
    # A run of short intervals among long ones: the maximum of the window is the long rate.
    samples = np.cumsum([360] + [252, 252, 252, 504] * 6)
    high = timing_reference_cv.reference_rates(samples, 360.0, "max", 10)
    assert np.allclose(high[3:-3], 1.4)


def test_ablation_settings_keep_their_rr_features_when_new_ones_are_added() -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import ablate_inter  # noqa: PLC0415 (a script, importable only from its folder)

    # The rows of the README were measured with these inputs; a feature added to RR_FEATURES
    # (irregularity, p_wave_regularity) must not slip into them.
    shipped = ablate_inter.SETTINGS["rr_raw_record_median_focal"]
    assert shipped.rr_features == ("previous", "next", "local", "record")
    # The nine, in the order they were measured: RR_FEATURES' first nine columns.
    assert ablate_inter.NINE == RR_FEATURES[:9]
    assert ablate_inter.SETTINGS["rr_all_record_median"].rr_features == ablate_inter.NINE
    assert ablate_inter.SETTINGS["rr_ratios"].rr_features == (
        "previous_to_record",
        "next_to_record",
        "local_to_record",
        "previous_to_local",
        "next_to_previous",
    )


def test_ablation_rows_append_only_under_the_same_columns(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import ablate_inter  # noqa: PLC0415 (a script, importable only from its folder)

    from ecgbeats.errors import InputError  # noqa: PLC0415

    out = tmp_path / "ablation.tsv"
    ablate_inter.append_row(out, {"setting": "a", "leads": 1, "with_beat": False})
    ablate_inter.append_row(out, {"setting": "b", "leads": 2, "with_beat": True})
    table = pd.read_csv(out, sep="\t")
    assert table["setting"].tolist() == ["a", "b"] and table["leads"].tolist() == [1, 2]
    with pytest.raises(InputError, match="ablation.tsv: its columns"):
        ablate_inter.append_row(out, {"setting": "c", "leads": 1})
    assert len(pd.read_csv(out, sep="\t")) == 2
