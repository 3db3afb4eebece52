"""Stand-ins of other databases made from MIT-BIH records, and a config overlay that scores them.

    python benchmarks/make_standins.py MITDB_DIR OUT_DIR [RECORD ...]

Writes two stand-in databases into OUT_DIR (never into the project): ``lowrate`` (128 Hz) and
``midrate`` (250 Hz), each holding the given records (default: 100 103 105 111 213, all of
de Chazal's DS2, so the inter-patient model never saw them) resampled with wfdb, leads renamed
(MLII -> ECG1, the other -> ECG2) and ``A`` annotated ``S`` (as the Supraventricular Arrhythmia
Database does). Also writes OUT_DIR/external.yaml, the overlay that scores both databases with
the intra ``six`` and inter ``aami`` models (their symbol map turns S back into A), e.g.:

    snakemake --cores 2 external_all --configfile OUT_DIR/external.yaml

Their metrics are those of the same beats in the MIT-BIH evaluation up to the resampling and
the annotation positions rounded to the lower rate (tests/test_external_workflow.py checks it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from ecgbeats.standins import write_standin

DATABASES = {"lowrate": 128.0, "midrate": 250.0}
DEFAULT_RECORDS = ("100", "103", "105", "111", "213")


def main(mitdb: Path, out: Path, records: list[str]) -> Path:
    databases = []
    for name, fs in DATABASES.items():
        for record in records:
            leads = {"MLII": "ECG1", "V1": "ECG2", "V2": "ECG2", "V4": "ECG2", "V5": "ECG2"}
            write_standin(mitdb / record, out / name, f"{name}{record}", fs, leads, {"A": "S"})
        databases.append(
            {
                "name": name,
                "data_dir": str((out / name).resolve()),
                "annotation_extension": "atr",
                "leads": ["ECG1", "ECG2"],
                "symbol_map": {"S": "A"},
                "records": [],
            }
        )
        print(f"{name}: {len(records)} records at {fs:g} Hz in {out / name}")
    models = [{"split": "intra", "task": "six"}, {"split": "inter", "task": "aami"}]
    overlay = out / "external.yaml"
    overlay.write_text(
        yaml.safe_dump({"external": {"databases": databases, "models": models}}, sort_keys=False)
    )
    print(f"config overlay: {overlay}")
    return overlay


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:] or list(DEFAULT_RECORDS))
