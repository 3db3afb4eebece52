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
        raise WorkflowError("config keys 'beats.before' + 'beats.after' must be at least 8")


check_config()

RECORDS = list(config["records"])
TASKS = list(config["tasks"])


wildcard_constraints:
    record="|".join(RECORDS),
    task="|".join(config["class_maps"]),


def record_files(record):
    """The three WFDB files of `record` in the data directory."""
    return [f"{DATA_DIR}/{record}{ext}" for ext in RECORD_EXTENSIONS]
