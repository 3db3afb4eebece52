"""Config checks and helpers shared by every rule file."""

from pathlib import Path

from snakemake.exceptions import WorkflowError

DATA_DIR = config["data_dir"].rstrip("/")
RECORD_EXTENSIONS = (".hea", ".dat", ".atr")


def read_record_ids(checksum_file):
    """Record ids listed in a sha256sum-format file (names like `100.dat`)."""
    path = Path(checksum_file)
    if not path.is_file():
        raise WorkflowError(f"config key 'checksums': no such file {checksum_file}")
    ids = set()
    for line in path.read_text().splitlines():
        if line.strip():
            ids.add(Path(line.split()[-1].lstrip("*")).stem)
    return ids


def check_config():
    """Checks the JSON schema cannot express: they name the config key at fault."""
    known = read_record_ids(config["checksums"])
    unknown = [r for r in config["records"] if r not in known]
    if unknown:
        raise WorkflowError(
            f"config key 'records': unknown record id(s) {', '.join(unknown)}; "
            f"valid ids are those listed in {config['checksums']} (config key 'checksums')"
        )
    missing_tasks = [t for t in config["tasks"] if t not in config["class_maps"]]
    if missing_tasks:
        raise WorkflowError(
            f"config key 'tasks': {', '.join(missing_tasks)} not defined under 'class_maps'"
        )
    beats = config["beats"]
    if beats["before"] + beats["after"] < 8:
        raise WorkflowError(
            "config keys 'beats.before' + 'beats.after' must be at least 8"
        )


check_config()

RECORDS = list(config["records"])
TASKS = list(config["tasks"])


wildcard_constraints:
    record="|".join(RECORDS),
    task="|".join(config["class_maps"]),


def record_files(record):
    """The three WFDB files of `record` in the data directory."""
    return [f"{DATA_DIR}/{record}{ext}" for ext in RECORD_EXTENSIONS]


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


def classify_targets():
    """Per new recording: beat table, WFDB `pred` annotations and strip plot."""
    return [
        f"results/classify/{name}/{name}{suffix}"
        for name in CLASSIFY_PATHS
        for suffix in ("_beats.csv", ".pred", "_strip.png")
    ]


def detector_targets():
    """Detector Se/+P on the configured MIT-BIH records, and test metrics on detected beats."""
    targets = [
        "results/detection/detector_gross.tsv",
        "results/detection/detector_per_record.tsv",
    ]
    # The detected-beats metrics need trained models, whose split scheme is config key `split`
    # (training.smk); without it only the detector itself is evaluated.
    if "split" in config:
        targets += expand(
            "results/{split}/{task}/detected_beats_{item}.tsv",
            split=config["split"]["scheme"],
            task=TASKS,
            item=("metrics", "per_record"),
        )
    return targets


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
