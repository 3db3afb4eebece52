"""The premature-beat decision (ecgbeats.prematurity) measured by cross-validation over DS1.

Reads the per-beat class probabilities that ``benchmarks/ablate_inter.py --folds k
--predictions DIR`` wrote for one setting and one or more seeds (each DS1 beat scored by a model
that never saw its record) and decides every beat twice: by the CNN alone, and with the
premature-beat decision fitted the way the workflow fits it, on the training beats of the
model that scored the beat. In ablate_inter's folds, the model scoring fold i was trained on
every fold but i and i + 1 (its selection fold), so the decision for fold i is fitted on the
normal and premature beats of those same folds, with their RR features from the dataset. No
model is trained again, and DS2 (the split's test part) is never read.

With ``--data-dir`` (the MIT-BIH records) a third decision adds the fibrillation gate
(ecgbeats.prematurity.FibrillationGate): each DS1 beat's rhythm irregularity is computed from all
annotated beats of its record (ecgbeats.rhythm.successive_irregularity) and its rhythm read from
the record's rhythm annotations; the gate of fold i is fitted on the atrial fibrillation and
flutter labels of the same training folds, and moves the premature probability of the beats it
finds in fibrillation to the normal class. Only DS1 records are read.

    python benchmarks/prematurity_cv.py --results results --predictions DIR
        --setting rr_raw_record_median_focal --seeds 42 1 2 --folds 5 [--data-dir PATH]
        [--out TSV]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from ablate_inter import append_row, ds1_folds, scores
from ensemble_seeds import load_seed

from ecgbeats.artifacts import SPLIT, load_rows_of
from ecgbeats.prematurity import (
    decide,
    fibrillation_probability,
    fit_fibrillation_gate,
    fit_prematurity,
    gate_premature,
)
from ecgbeats.records import read_beat_annotations, read_rhythm_changes
from ecgbeats.rhythm import RR_FEATURES, rhythm_at, successive_irregularity

#: Rhythm annotations of atrial fibrillation and atrial flutter (MIT-BIH).
FIBRILLATION = ("(AFIB", "(AFL")


def fold_decisions(
    probabilities: np.ndarray,
    rr_features: np.ndarray,
    y_true: np.ndarray,
    fold_of: np.ndarray,
    k: int,
    normal: int,
    premature: int,
) -> np.ndarray:
    """Class probabilities after the premature-beat decision, each fold's beats decided by one
    fitted on the folds that trained its model (all but the fold and the next one)."""
    decided = np.empty_like(probabilities)
    for fold in range(k):
        scored = fold_of == fold
        trained = ~np.isin(fold_of, [fold, (fold + 1) % k])
        decision = fit_prematurity(
            rr_features[trained], RR_FEATURES, y_true[trained], normal, premature
        )
        decided[scored] = decide(decision, probabilities[scored], rr_features[scored], RR_FEATURES)
    return decided


def gated_decisions(
    decided: np.ndarray,
    irregularity: np.ndarray,
    in_fibrillation: np.ndarray,
    fold_of: np.ndarray,
    k: int,
    normal: int,
    premature: int,
) -> np.ndarray:
    """`decided` with each fold's beats through the fibrillation gate fitted on the rhythm labels
    of the folds that trained its model."""
    gated = np.empty_like(decided)
    for fold in range(k):
        scored = fold_of == fold
        trained = ~np.isin(fold_of, [fold, (fold + 1) % k])
        gate = fit_fibrillation_gate(irregularity[trained], in_fibrillation[trained])
        print(f"fold {fold}: fibrillation gate {gate}", flush=True)
        share = fibrillation_probability(gate, irregularity[scored])
        gated[scored] = gate_premature(decided[scored], share, normal, premature)
    return gated


def record_rhythm(
    data_dir: Path, records: np.ndarray, samples: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per beat of (records, samples) (DS1 beats of MIT-BIH, 360 Hz): the rhythm irregularity
    from all annotated beats of its record, and whether fibrillation or flutter was in force."""
    irregularity = np.zeros(samples.size)
    in_fibrillation = np.zeros(samples.size, dtype=bool)
    for record in np.unique(records):
        rows = np.flatnonzero(records == record)
        beats, _ = read_beat_annotations(data_dir / record, "atr")
        found = np.searchsorted(beats, samples[rows])
        if np.any(found >= beats.size) or np.any(
            beats[np.minimum(found, beats.size - 1)] != samples[rows]
        ):
            raise SystemExit(f"record {record}: dataset beats not among its annotated beats")
        irregularity[rows] = successive_irregularity(beats, 360.0)[found]
        changes, labels = read_rhythm_changes(data_dir / record, "atr")
        in_fibrillation[rows] = np.isin(
            rhythm_at(samples[rows], changes, labels, "(N"), FIBRILLATION
        )
    return irregularity, in_fibrillation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--task", default="aami")
    parser.add_argument("--predictions", type=Path, required=True)
    parser.add_argument("--setting", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--folds", type=int, default=5, help="ablate_inter.py's --folds")
    parser.add_argument("--normal", default="N")
    parser.add_argument("--premature", default="S")
    parser.add_argument("--out", type=Path, help="append the rows to this TSV")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="MIT-BIH records: also decide through the fibrillation gate (rhythm annotations)",
    )
    args = parser.parse_args()
    if args.folds < 3:
        parser.error("--folds must be at least 3, as in ablate_inter.py")
    dataset = args.results / "datasets" / f"{args.task}.npz"
    split = args.results / "inter" / args.task / "split.npz"
    # Only the training and validation indices: the test part (DS2) stays untouched.
    data, parts, names = load_rows_of(dataset, SPLIT, split, ("train", "validation"))
    ds1 = np.concatenate([parts["train"], parts["validation"]])
    records = data["records"].astype(str)
    folds = ds1_folds(records[ds1], data["labels"][ds1], names, args.folds)
    position = {record: i for i, fold in enumerate(folds) for record in fold}
    # Prefixed: one RR feature is called "record", like the predictions' record column.
    columns = [f"rr_{name}" for name in RR_FEATURES]
    rhythm = pd.DataFrame(data["rr_features"][ds1], columns=columns)
    rhythm["record"], rhythm["sample"] = records[ds1], data["samples"][ds1]
    normal, premature = names.index(args.normal), names.index(args.premature)
    if args.data_dir is not None:
        rhythm["irregularity"], rhythm["in_fibrillation"] = record_rhythm(
            args.data_dir, records[ds1], data["samples"][ds1]
        )
    found: list[str] | None = None
    for seed in args.seeds:
        table, found = load_seed(args.predictions / f"{args.setting}_seed{seed}.tsv", found)
        if found != names:
            raise SystemExit(f"seed {seed}: classes {found}, but the dataset has {names}")
        beats = table.merge(rhythm, on=["record", "sample"], how="left", validate="one_to_one")
        if beats[columns[0]].isna().any():
            raise SystemExit(f"seed {seed}: predictions of beats that are not DS1 beats")
        y_true = beats["true"].map(names.index).to_numpy()
        probabilities = beats[[f"p_{name}" for name in names]].to_numpy()
        fold_of = beats["record"].map(position).to_numpy()
        decided = fold_decisions(
            probabilities,
            beats[columns].to_numpy(),
            y_true,
            fold_of,
            args.folds,
            normal,
            premature,
        )
        decisions = [("CNN alone", probabilities), ("+prematurity", decided)]
        if args.data_dir is not None:
            gated = gated_decisions(
                decided,
                beats["irregularity"].to_numpy(),
                beats["in_fibrillation"].to_numpy(dtype=bool),
                fold_of,
                args.folds,
                normal,
                premature,
            )
            decisions.append(("+prematurity+fibrillation", gated))
        for label, chosen in decisions:
            row = {
                "setting": args.setting,
                "seed": seed,
                "decision": label,
                **scores(y_true, chosen.argmax(axis=1), names),
            }
            if args.out:
                append_row(args.out, row)
            else:
                print(
                    f"seed {seed:<4d} {label:13s} macro-F1 {row['macro_f1']:.4f} "
                    + " ".join(
                        f"{n} F1 {row[f'{n}_f1']:.3f} (Se {row[f'{n}_se']:.2f} +P "
                        f"{row[f'{n}_ppv']:.2f})"
                        for n in names
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
