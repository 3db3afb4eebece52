"""Config checks and helpers shared by every rule file."""

import glob
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError

# The workflow's own helpers (config checks, library inputs: workflow/helpers) and the library
# they use (workflow/scripts/ecgbeats).
sys.path[:0] = [str(Path(workflow.basedir) / "workflow" / d) for d in ("", "scripts")]
from helpers.config_checks import (
    ConfigError,
    check_config,
    device_problems,
    external_records,
    read_checksums,
)
from helpers.library_inputs import library_sources, run_own_library

# Once, in the process that plans the jobs: every job parses this file again, and its config has
# passed by then (the checks read headers and import PyWavelets).
if workflow.is_main_process:
    try:
        check_config(config, Path("."))
    except ConfigError as error:
        raise WorkflowError(str(error)) from None

DATA_DIR = config["data_dir"].rstrip("/")
RECORD_EXTENSIONS = (".hea", ".dat", ".atr")
# Relative to the working directory: the inputs stay the same when the checkout moves.
SCRIPTS_DIR = os.path.relpath(Path(workflow.basedir) / "workflow" / "scripts")

# Jobs run the `ecgbeats` of this checkout, whatever else is installed (see the function).
run_own_library(SCRIPTS_DIR)


# One model per training seed; the first is the one evaluated in full, explained and used.
SEEDS = [int(seed) for seed in config["train"]["seeds"]]
REPRESENTATIVE_SEED = SEEDS[0]


def training_options(seed):
    """The train settings of one seed's job (ecgbeats.training.TrainConfig's fields)."""
    options = {key: value for key, value in config["train"].items() if key != "seeds"}
    return {**options, "seed": seed}


def library(script):
    """The library modules `script` imports: inputs, so editing one reruns the rule."""
    return library_sources(script, SCRIPTS_DIR)


def check_devices():
    """Fail before any job when a device of the config is missing where jobs run locally.

    Called from `onstart` (the executor is unknown while the Snakefile is parsed): on a cluster
    the jobs run elsewhere, and the GPU nodes are the ones that must have the device.
    """
    if workflow.executor_plugin is None or workflow.executor_plugin.name != "local":
        return
    wanted = [config[s]["device"] for s in ("train", "evaluation")]
    if not any(str(d).startswith("cuda") for d in wanted):
        return
    import torch

    problems = device_problems(config, torch.cuda.is_available())
    if problems:
        raise WorkflowError("invalid configuration:\n  " + "\n  ".join(problems))


RECORDS = list(config["records"])
TASKS = list(config["tasks"])


wildcard_constraints:
    record="|".join(RECORDS),
    task="|".join(config["class_maps"]),


def record_files(record):
    """The three WFDB files of `record` in the data directory."""
    return [f"{DATA_DIR}/{record}{ext}" for ext in RECORD_EXTENSIONS]


CHECKSUMS = read_checksums(config["checksums"])


def verified_file(extension, record="{record}"):
    """A verified record file, through the link `verify_record` makes (stable path).

    `ancient`: a rerun of the verification (e.g. `data_dir` now points at a byte-identical
    copy) makes new links to identical bytes, which must not rerun what reads them. What the
    bytes are is given by `record_digests`, a param of every reader.
    """
    return ancient(f"results/data/records/{record}.{extension}")


def record_digests(wildcards):
    """The SHA256 of each file of a record, as verified: the record's identity by content.

    A param of the rules that read the record, so that they rerun when (and only when) the
    bytes they read change, wherever the files are.
    """
    return {
        name: digest
        for name, digest in CHECKSUMS.items()
        if Path(name).stem == wildcards.record
        and Path(name).suffix in RECORD_EXTENSIONS
    }


def all_record_digests(wildcards):
    return {
        record: record_digests(SimpleNamespace(record=record)) for record in RECORDS
    }


# Target lists and input functions of the stages (kept here: Snakemake lint wants rule
# files without function definitions).


def data_targets():
    """One verified checksum list per configured record."""
    return expand("results/data/verified/{record}.sha256", record=RECORDS)


def denoise_figure_record():
    """The record shown in the denoising figure (the configured one, else the first record)."""
    wanted = config["denoise_figure"]["record"]
    return wanted if wanted in RECORDS else RECORDS[0]


def dataset_targets():
    return [
        "results/datasets/beats_per_record.tsv",
        f"results/figures/denoising_{denoise_figure_record()}.png",
        *expand("results/datasets/{task}.npz", task=TASKS),
        *expand("results/figures/{task}/class_distribution.png", task=TASKS),
    ]


def training_targets():
    """Model and training history of every task for the configured split scheme."""
    return expand(
        "results/{split}/{task}/{name}",
        split=config["split"]["scheme"],
        task=TASKS,
        name=["model.pt", "training_history.tsv"],
    )


def evaluation_targets():
    """Metrics, predictions and figures per task; the paper comparison where a table exists."""
    split = config["split"]["scheme"]
    targets = []
    for task in TASKS:
        base = f"results/{split}/{task}"
        targets += [
            f"{base}/metrics.tsv",
            f"{base}/predictions.npz",
            f"{base}/ec57.tsv",
            f"{base}/seeds.tsv",
            *(
                f"{base}/figures/{name}.png"
                for name in (
                    "confusion_matrix",
                    "roc_curves",
                    "pr_curves",
                    "training_curves",
                )
            ),
        ]
        if task in config["evaluation"]["paper_tables"]:
            targets.append(f"{base}/paper_comparison.tsv")
    return targets


def report_targets():
    """The summary table of the configured split scheme (its HTML view comes with it).

    Every other TSV report item and its HTML view are outputs of the stage targets' jobs.
    """
    return [f"results/{config['split']['scheme']}/summary.tsv"]


def classify_targets():
    """Per new recording: beat table, WFDB `pred` annotations, strip plot, and every beat's
    SHAP values with their summary and the strip shaded by them."""
    return [
        f"results/classify/{name}/{name}{suffix}"
        for name in CLASSIFY_PATHS
        for suffix in (
            "_beats.csv",
            ".pred",
            "_strip.png",
            "_shap.npz",
            "_explanation.tsv",
            "_explained_strip.png",
        )
    ]


def detector_targets():
    """Detector Se/+P on the configured MIT-BIH records, and test metrics on detected beats."""
    return [
        "results/detection/detector_gross.tsv",
        "results/detection/detector_per_record.tsv",
        *expand(
            "results/{split}/{task}/detected_beats_{item}.tsv",
            split=config["split"]["scheme"],
            task=TASKS,
            item=("metrics", "per_record"),
        ),
    ]


def classify_record_input(wildcards):
    path = CLASSIFY_PATHS[wildcards.name]
    return {
        "header": f"{path}.hea",
        "model": f"results/{CLASSIFY['split']}/{CLASSIFY['task']}/model.pt",
    }


def interpret_targets():
    """UMAP table and figure, SHAP values, grid and profile figure per task."""
    split = config["split"]["scheme"]
    return [
        f"results/{split}/{task}/interpret/{name}"
        for task in TASKS
        for name in (
            "umap.tsv",
            "umap.png",
            "shap_values.npz",
            "shap_grid.png",
            "shap_profile.png",
        )
    ]


# External databases (external.smk): their records are found when the Snakefile is parsed.
EXTERNAL = config["external"]
EXTERNAL_DATABASES = {database["name"]: database for database in EXTERNAL["databases"]}
EXTERNAL_RECORDS = {
    name: external_records(database, Path("."))
    for name, database in EXTERNAL_DATABASES.items()
}
EXTERNAL_MODELS = [(model["split"], model["task"]) for model in EXTERNAL["models"]]


# Databases whose records join the training part of every inter-patient model.
TRAINING_DATABASES = [
    name for name, database in EXTERNAL_DATABASES.items() if database.get("train")
]


def extra_training_datasets(wildcards):
    """The training databases' datasets of the task, for an inter-patient model (none else)."""
    if wildcards.split != "inter":
        return []
    return [
        f"results/external/{name}/datasets/{wildcards.task}.npz"
        for name in TRAINING_DATABASES
    ]


def external_record_options(wildcards):
    """The fields of ecgbeats.external.ExternalRecordOptions for a database's record."""
    database = EXTERNAL_DATABASES[wildcards.database]
    return {
        "database": wildcards.database,
        "leads": database["leads"],
        "annotation_extension": database["annotation_extension"],
        "symbol_map": database.get("symbol_map", {}),
    }


def external_base(wildcards):
    database = EXTERNAL_DATABASES[wildcards.database]
    return f"{database['data_dir'].rstrip('/')}/{wildcards.recording}"


def external_header(wildcards):
    return f"{external_base(wildcards)}.hea"


def external_record_files(wildcards):
    """The signal and annotation files of an external record, where present.

    A missing one is named by the record's job (which then fails alone), not by the planning.
    """
    base = external_base(wildcards)
    extension = EXTERNAL_DATABASES[wildcards.database]["annotation_extension"]
    found = [f for f in glob.glob(f"{glob.escape(base)}.*") if not f.endswith(".hea")]
    wanted = f"{base}.{extension}"
    return sorted(f for f in found if f == wanted or f.endswith(".dat"))


def external_scores(wildcards):
    """One model's scores of every record of a database."""
    return [
        f"results/external/{wildcards.database}/{wildcards.split}/{wildcards.task}/records/"
        f"{recording}.npz"
        for recording in EXTERNAL_RECORDS[wildcards.database]
    ]


def external_targets():
    """Per database and model: metrics, per-record and EC57 tables, confusion matrix."""
    return [
        f"results/external/{name}/{split}/{task}/{item}"
        for name in EXTERNAL_DATABASES
        for split, task in EXTERNAL_MODELS
        for item in (
            "metrics.tsv",
            "per_record.tsv",
            "ec57.tsv",
            "figures/confusion_matrix.png",
        )
    ]


# Noise stress test (noise.smk): recorded noise where `noise.records_dir` names a folder.
NOISE = config["noise"]
NOISE_DIR = NOISE["records_dir"].rstrip("/")
NOISE_RECORDS = (
    [f"{NOISE_DIR}/{source}.hea" for source in NOISE["sources"]] if NOISE_DIR else []
)


def noise_record_files():
    """The signal files of the noise records (read through their headers)."""
    return [f for header in NOISE_RECORDS for f in glob.glob(f"{header[:-4]}.dat")]


def noise_targets():
    """Noise curve table and figure per task of the configured split (none without SNRs)."""
    if not NOISE["snr_db"]:
        return []
    return expand(
        "results/noise/{split}/{task}/noise_curve.{ext}",
        split=config["split"]["scheme"],
        task=TASKS,
        ext=("tsv", "png"),
    )
