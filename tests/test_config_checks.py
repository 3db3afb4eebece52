"""Semantic config checks (workflow/helpers/config_checks.py): each problem names its key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from helpers.config_checks import (
    ConfigError,
    check_config,
    config_problems,
    device_problems,
    external_records,
    header_length,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
#: An external database whose folder holds no records (only its own checks apply).
EXTERNAL = {
    "name": "ext",
    "data_dir": "workflow",
    "annotation_extension": "atr",
    "leads": ["ECG1"],
    "symbol_map": {"S": "A"},
    "records": [],
}


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((REPO_ROOT / "config.yaml").read_text())


def with_change(config: dict, path: str, value) -> dict:
    changed = copy.deepcopy(config)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    target[last] = value
    return changed


def test_shipped_configs_have_no_problem(config: dict):
    assert config_problems(config, REPO_ROOT) == []
    inter = with_change(config, "split.scheme", "inter")
    assert config_problems(inter, REPO_ROOT) == []
    check_config(config, REPO_ROOT)  # no exception


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("records", ["100", "999"], "config key 'records': unknown record id(s) 999"),
        ("tasks", ["six", "seven"], "config key 'tasks': seven not defined"),
        ("class_maps.six", {"N": "NOR", "V": "NOR"}, "config key 'class_maps.six': every symbol"),
        ("class_maps.six", {"N": "NOR", "X": "PVC"}, "'X' is not a beat symbol"),
        ("split.scheme", "inter", None),  # valid on its own
        (
            "beats",
            {"before": 2, "after": 3, "normalisation": "zscore"},
            "'beats.before' + 'beats.after' must be at least 8",
        ),
        ("denoise.wavelet", "db55", "config key 'denoise.wavelet': 'db55'"),
        ("denoise.remove_details", [1, 12], "config key 'denoise.remove_details'"),
        ("balance.sampling_strategy", {"XYZ": 10}, "config key 'balance.sampling_strategy'"),
        (
            "balance.class_weight_power",
            0.5,
            "'balance.class_weight_power' (0.5): only for method class_weight, not smote",
        ),
        ("classify.task", "eleven", "config key 'classify.task': eleven"),
        ("classify.records", ["a/x", "b/x"], "config key 'classify.records'"),
        ("classify.annotation_symbols", {"aami": {"Z": "Q"}}, "annotation_symbols.aami': Z"),
        ("umap.n_neighbors", 20000, "config keys 'umap.n_neighbors' (20000)"),
        ("evaluation.paper_tables", {"six": "nowhere.tsv"}, "'evaluation.paper_tables.six'"),
        ("checksums", "nowhere.sha256", "config key 'checksums': no such file"),
        ("external.databases", [EXTERNAL, EXTERNAL], "'external.databases': the name(s) ext"),
        (
            "external.databases",
            [{**EXTERNAL, "symbol_map": {"S": "Z"}}],
            "config key 'external.databases[0].symbol_map' (database ext): 'Z'",
        ),
        (
            "external.databases",
            [{**EXTERNAL, "records": ["no_such_record"]}],
            "'external.databases[0].records' (database ext): no header no_such_record.hea",
        ),
        ("external.models", [{"split": "inter", "task": "nine"}], "'external.models[0].task'"),
        ("noise.records_dir", "workflow", "config key 'noise.records_dir': no noise record bw"),
        (
            "prematurity",
            {"six": {"normal": "NOR", "premature": "S", "fibrillation": []}},
            "config key 'prematurity.six.premature': S is not a class of task six",
        ),
        (
            "prematurity",
            {"six": {"normal": "NOR", "premature": "PAC", "fibrillation": ["AFIB"]}},
            "config key 'prematurity.six.fibrillation': AFIB: rhythm annotations start with '('",
        ),
        (
            "prematurity",
            {"nine": {"normal": "N", "premature": "S", "fibrillation": []}},
            "'prematurity.nine': no task",
        ),
        (
            "prematurity",
            {"ten": {"normal": "PAC", "premature": "PAC", "fibrillation": []}},
            "config key 'prematurity.ten': normal and premature are the same class",
        ),
    ],
)
def test_problem_names_the_key(config: dict, path: str, value, message: str | None):
    problems = config_problems(with_change(config, path, value), REPO_ROOT)
    if message is None:
        assert problems == []
        return
    assert any(message in p for p in problems), problems
    with pytest.raises(ConfigError, match="invalid configuration"):
        check_config(with_change(config, path, value), REPO_ROOT)


def test_inter_split_lists_are_checked(config: dict):
    inter = with_change(config, "split.scheme", "inter")
    overlap = with_change(inter, "split.inter.test_records", ["101", "100"])
    assert any(
        "'split.inter.train_records' and 'split.inter.test_records'" in p and "101" in p
        for p in config_problems(overlap, REPO_ROOT)
    )
    unknown = with_change(inter, "split.inter.excluded_records", ["777"])
    assert any(
        "'split.inter.excluded_records': unknown record id(s) 777" in p
        for p in config_problems(unknown, REPO_ROOT)
    )
    unused = with_change(inter, "records", ["100", "103"])
    assert any(
        "'records' and 'split.inter.train_records'" in p for p in config_problems(unused, REPO_ROOT)
    )


def test_beat_window_longer_than_a_record_names_keys_and_record(config: dict, tmp_path: Path):
    # Header lines as in MIT-BIH: name, signals, rate, samples.
    (tmp_path / "100.hea").write_text("100 2 360 650000\n")
    (tmp_path / "101.hea").write_text("101 2 128 1000\n")  # 1000 samples at 128 Hz = 2812 at 360
    local = with_change(config, "data_dir", str(tmp_path))
    local["records"] = ["100", "101"]
    assert config_problems(local, REPO_ROOT) == []
    long_window = with_change(local, "beats.before", 3000)
    problems = config_problems(long_window, REPO_ROOT)
    assert len(problems) == 1
    assert "'beats.before' + 'beats.after'" in problems[0] and "record 101" in problems[0]


def test_header_length_reads_the_record_line(tmp_path: Path):
    header = tmp_path / "x.hea"
    header.write_text("# a comment\nx 1 250/100 9000 10:00:00\nx.dat 16 200 11 1024 0 0 0 MLII\n")
    assert header_length(header) == (250.0, 9000)
    header.write_text("garbage here and more\n")
    assert header_length(header) is None
    assert header_length(tmp_path / "missing.hea") is None


def test_cuda_device_is_checked_against_the_machine(config: dict):
    assert device_problems(config, cuda_available=False) == []
    cuda = with_change(config, "train.device", "cuda")
    problems = device_problems(cuda, cuda_available=False)
    assert len(problems) == 1 and "config key 'train.device'" in problems[0]
    assert device_problems(cuda, cuda_available=True) == []
    both = with_change(cuda, "evaluation.device", "cuda:1")
    assert len(device_problems(both, cuda_available=False)) == 2


def test_external_records_are_those_with_header_and_annotations(tmp_path: Path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.hea").write_text("")
    (tmp_path / "a.atr").write_text("")
    (tmp_path / "c.atr").write_text("")
    database = {**EXTERNAL, "data_dir": str(tmp_path)}
    assert external_records(database, REPO_ROOT) == ["a", "c"]
    assert external_records({**database, "records": ["b"]}, REPO_ROOT) == ["b"]
    assert external_records({**database, "data_dir": str(tmp_path / "none")}, REPO_ROOT) == []


def test_schema_gives_class_weight_power_no_default() -> None:
    """A default would enter every run's params and retrain every trained model."""
    schema = yaml.safe_load((REPO_ROOT / "workflow/schemas/config.schema.yaml").read_text())
    entry = schema["properties"]["balance"]["properties"]["class_weight_power"]
    assert (
        "default" not in entry
        and "class_weight_power" not in schema["properties"]["balance"]["required"]
    )


def test_a_training_database_needs_inter_models_that_do_not_score_it(config: dict, tmp_path: Path):
    (tmp_path / "r1.hea").write_text("r1 1 360 10\n")
    (tmp_path / "r1.atr").write_bytes(b"")
    training = {**EXTERNAL, "data_dir": str(tmp_path), "train": True}
    inter = with_change(config, "split.scheme", "inter")
    intra_only = [{"split": "intra", "task": "six"}]
    fine = with_change(
        with_change(inter, "external.databases", [training]), "external.models", intra_only
    )
    assert config_problems(fine, REPO_ROOT) == []
    problems = {
        "split.scheme": "'external.databases[0].train' (database ext): only the inter-patient "
        "models train on other databases, and 'split.scheme' is intra",
        "external.models": "config keys 'external.databases[0].train' and 'external.models[0]': "
        "database ext trains the inter-patient models, so scoring it with inter/aami would "
        "score the beats it trained on",
        "external.databases": "config key 'external.databases[0].train' (database ext): no "
        "record with a header and an annotation file (.atr) in workflow",
    }
    changes = {
        "split.scheme": "intra",
        "external.models": [{"split": "inter", "task": "aami"}, *intra_only],
        "external.databases": [{**EXTERNAL, "train": True}],
    }
    for path, message in problems.items():
        found = config_problems(with_change(fine, path, changes[path]), REPO_ROOT)
        assert any(message in p for p in found), (path, found)
    # MIT-BIH itself, or records named as MIT-BIH's, would put test patients into training.
    (tmp_path / "100.hea").write_text("100 1 360 10\n")
    (tmp_path / "100.atr").write_bytes(b"")
    found = config_problems(fine, REPO_ROOT)
    assert any("record(s) 100 carry MIT-BIH record names" in p for p in found), found
    mitbih = with_change(fine, "external.databases", [{**training, "data_dir": fine["data_dir"]}])
    found = config_problems(mitbih, REPO_ROOT)
    assert any("its data_dir is MIT-BIH's own ('data_dir')" in p for p in found), found
    (tmp_path / "100.hea").unlink()
    # Without train, the same database is only scored: none of these problems.
    scored = with_change(inter, "external.databases", [{**training, "train": False}])
    assert config_problems(scored, REPO_ROOT) == []
