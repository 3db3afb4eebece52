"""Seed ensembles of the DS1 cross-validation: each seed's models against their mean.

Reads the per-beat predictions that ``benchmarks/ablate_inter.py --folds k --predictions DIR``
wrote for one setting and several seeds (``DIR/SETTING_seedSEED.tsv``: the same beats, each
scored by a model that never saw its record) and scores each seed alone and the ensemble that
averages the seeds' class probabilities, beat by beat. Only DS1 beats are in these files.

    python benchmarks/ensemble_seeds.py --predictions DIR --setting rr_raw_record_median_focal
        --seeds 42 1 2 [--out TSV]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from ablate_inter import report_row, scores


def load_seed(path: Path, names: list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """One seed's predictions and the class names of its probability columns."""
    if not path.is_file():
        raise SystemExit(f"{path}: no predictions (run ablate_inter.py with --predictions)")
    table = pd.read_csv(path, sep="\t", dtype={"record": str})
    found = [column[2:] for column in table.columns if column.startswith("p_")]
    if not found:
        raise SystemExit(f"{path}: no probability columns p_CLASS (rerun ablate_inter.py)")
    if names is not None and found != names:
        raise SystemExit(f"{path}: classes {found}, but the first seed has {names}")
    return table, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictions", type=Path, required=True)
    parser.add_argument("--setting", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--out", type=Path, help="append the rows to this TSV")
    args = parser.parse_args()
    if len(args.seeds) < 2:
        parser.error("an ensemble needs at least two --seeds")
    names: list[str] | None = None
    tables = []
    for seed in args.seeds:
        table, names = load_seed(args.predictions / f"{args.setting}_seed{seed}.tsv", names)
        if tables and not table[["record", "sample", "true"]].equals(
            tables[0][["record", "sample", "true"]]
        ):
            raise SystemExit(f"seed {seed}: not the same beats as seed {args.seeds[0]}")
        tables.append(table)
    assert names is not None
    y_true = tables[0]["true"].map(names.index).to_numpy()
    columns = [f"p_{name}" for name in names]
    rows = []
    for seed, table in zip(args.seeds, tables, strict=True):
        rows.append((f"seed {seed}", table[columns].to_numpy().argmax(axis=1)))
    mean = np.mean([table[columns].to_numpy() for table in tables], axis=0)
    rows.append((f"ensemble of {len(tables)}", mean.argmax(axis=1)))
    for label, y_pred in rows:
        row = {"setting": args.setting, "model": label, **scores(y_true, y_pred, names)}
        report_row(args.out, row, f"{label:14s}", names)


if __name__ == "__main__":
    main()
