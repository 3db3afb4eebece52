"""The premature-beat decision (ecgbeats.prematurity) measured by cross-validation over DS1.

Reads the per-beat class probabilities that ``benchmarks/ablate_inter.py --folds k
--predictions DIR`` wrote for one setting and one or more seeds (each DS1 beat scored by a model
that never saw its record) and decides every beat twice: by the CNN alone, and with the
premature-beat decision fitted the way the workflow fits it, on the training beats of the
model that scored the beat. In ablate_inter's folds, the model scoring fold i was trained on
every fold but i and i + 1 (its selection fold), so the decision for fold i is fitted on the
normal and premature beats of those same folds, with their RR features from the dataset. No
model is trained again, and DS2 (the split's test part) is never read.

Further decisions add the fibrillation gate (ecgbeats.prematurity.FibrillationGate), fitted
on the same training folds' beats labelled by the rhythm annotations in force at them (the
dataset's ``rhythms``; ``--fibrillation``, MIT-BIH's "(AFIB" and "(AFL") against their RR
features: one decision per ``--gate-inputs`` set (the workflow's decision with
`prematurity.<task>.fibrillation` and `fibrillation_inputs`).

``--ventricular-context HALF SCALE ...`` adds, after each gated decision, a filter that the
workflow does not have (measured, not adopted: README "Premature beats by their timing"): S calls
among frequent ventricular beats are not trusted. Each beat's premature probability goes back to
the normal class in the share min(1, SCALE x the mean V probability that the CNN gives the HALF
beats on each side of it in its record, itself left out).

    python benchmarks/prematurity_cv.py --results results --predictions DIR
        --setting rr_raw_record_median_focal --seeds 42 1 2 --folds 5 [--out TSV]
        [--gate-inputs irregularity irregularity,p_wave_regularity]
        [--ventricular-context 10 1 10 2 10 3] [--template-neighbours 5 10 20]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from ablate_inter import ds1_folds, report_row, scores
from ensemble_seeds import load_seed
from sklearn.neighbors import NearestNeighbors

from ecgbeats.artifacts import SPLIT, load_rows_of
from ecgbeats.prematurity import decide, fit_prematurity, gate_premature
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.training import macro_f1_present


def fold_decisions(
    probabilities: np.ndarray,
    rr_features: np.ndarray,
    y_true: np.ndarray,
    fold_of: np.ndarray,
    k: int,
    normal: int,
    premature: int,
    in_fibrillation: np.ndarray | None,
    gate_inputs: tuple[str, ...] = ("irregularity",),
) -> np.ndarray:
    """Class probabilities after the premature-beat decision (with a fibrillation gate reading
    `gate_inputs` when `in_fibrillation` labels are given), each fold's beats decided by one
    fitted on the folds that trained its model (all but the fold and the next one)."""
    decided = np.empty_like(probabilities)
    for fold in range(k):
        scored = fold_of == fold
        trained = ~np.isin(fold_of, [fold, (fold + 1) % k])
        decision = fit_prematurity(
            rr_features[trained],
            RR_FEATURES,
            y_true[trained],
            normal,
            premature,
            None if in_fibrillation is None else in_fibrillation[trained],
            gate_inputs,
        )
        decided[scored] = decide(decision, probabilities[scored], rr_features[scored], RR_FEATURES)
    return decided


def neighbour_mean(
    values: np.ndarray, records: np.ndarray, samples: np.ndarray, half: int
) -> np.ndarray:
    """Per beat (n,), the mean of `values` (n,) over up to `half` beats on each side of it in
    its record (in the order of their R peaks `samples`), itself left out; 0 for a lone beat."""
    means = np.zeros(values.shape, dtype=np.float64)
    for record in np.unique(records):
        rows = np.flatnonzero(records == record)
        rows = rows[np.argsort(samples[rows], kind="stable")]
        cumulative = np.concatenate([[0.0], np.cumsum(values[rows], dtype=np.float64)])
        beat = np.arange(rows.size)
        first, last = np.maximum(beat - half, 0), np.minimum(beat + half + 1, rows.size)
        count = last - first - 1
        total = cumulative[last] - cumulative[first] - values[rows]
        means[rows] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return means


def ventricular_filter(
    decided: np.ndarray, context: np.ndarray, normal: int, premature: int, scale: float
) -> np.ndarray:
    """`decided` (n, k) with each beat's premature probability moved to the normal class in the
    share min(1, `scale` x `context`) (n,): the mean probability of the ventricular class that
    the CNN gives the beat's neighbours (neighbour_mean)."""
    return gate_premature(decided, np.clip(scale * context, 0.0, 1.0), normal, premature)


def template_mean(
    probabilities: np.ndarray, waveforms: np.ndarray, records: np.ndarray, k: int
) -> np.ndarray:
    """`probabilities` (n, classes) with each beat's row replaced by the mean over the `k` beats
    of its record (`records`, n) nearest to it by Euclidean distance of `waveforms` (n, samples),
    itself included: all of a record's beats when it has fewer than `k`."""
    smoothed = np.empty_like(probabilities)
    for record in np.unique(records):
        rows = np.flatnonzero(records == record)
        neighbours = NearestNeighbors(n_neighbors=min(k, rows.size)).fit(waveforms[rows])
        nearest = neighbours.kneighbors(waveforms[rows], return_distance=False)
        smoothed[rows] = probabilities[rows][nearest].mean(axis=1)
    return smoothed


def ds1_rows(
    results: Path, task: str, k: int
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str], dict[str, int]]:
    """The run's dataset of `task` under `results`, the indices of its DS1 rows (the inter
    split's training and validation parts), its class names, and the fold of every DS1 record
    (ablate_inter.py's `k` folds). The split's test part (DS2) is never read."""
    dataset = results / "datasets" / f"{task}.npz"
    split = results / "inter" / task / "split.npz"
    data, parts, names = load_rows_of(dataset, SPLIT, split, ("train", "validation"))
    ds1 = np.concatenate([parts["train"], parts["validation"]])
    folds = ds1_folds(data["records"].astype(str)[ds1], data["labels"][ds1], names, k)
    position = {record: i for i, fold in enumerate(folds) for record in fold}
    return data, ds1, names, position


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
    parser.add_argument("--ventricular", default="V")
    parser.add_argument("--out", type=Path, help="append the rows to this TSV")
    parser.add_argument(
        "--fibrillation",
        nargs="*",
        default=["(AFIB", "(AFL"],
        help="rhythm annotations that teach the fibrillation gate (none: no gated decision)",
    )
    parser.add_argument(
        "--gate-inputs",
        nargs="+",
        default=["irregularity", "irregularity,p_wave_regularity"],
        help="the gate's RR features, comma-separated: one gated decision per set",
    )
    parser.add_argument(
        "--ventricular-context",
        nargs="*",
        type=float,
        default=[],
        metavar="HALF SCALE",
        help="pairs: after each gated decision, the ventricular-context filter with HALF "
        "neighbours on each side and SCALE (not in the workflow)",
    )
    parser.add_argument(
        "--template-neighbours",
        nargs="*",
        type=int,
        default=[],
        metavar="K",
        help="per K, a decision gated with the first --gate-inputs set on probabilities "
        "averaged over each beat's K nearest beats of its record by waveform (not in the workflow)",
    )
    args = parser.parse_args()
    if any(k < 2 for k in args.template_neighbours):
        parser.error("--template-neighbours: each K must be at least 2 (1 is the beat itself)")
    if args.template_neighbours and not args.fibrillation:
        parser.error("--template-neighbours needs the fibrillation gate (--fibrillation not empty)")
    if len(args.ventricular_context) % 2:
        parser.error("--ventricular-context takes pairs HALF SCALE")
    contexts = [
        (half, scale)
        for half, scale in zip(
            args.ventricular_context[::2], args.ventricular_context[1::2], strict=True
        )
    ]
    if any(half < 1 or half != int(half) or scale <= 0 for half, scale in contexts):
        parser.error("--ventricular-context: HALF must be a whole number >= 1, SCALE > 0")
    if args.folds < 3:
        parser.error("--folds must be at least 3, as in ablate_inter.py")
    data, ds1, names, position = ds1_rows(args.results, args.task, args.folds)
    if contexts and args.ventricular not in names:
        parser.error(f"--ventricular {args.ventricular}: not one of the classes {names}")
    records = data["records"].astype(str)
    # Prefixed: one RR feature is called "record", like the predictions' record column.
    columns = [f"rr_{name}" for name in RR_FEATURES]
    rhythm = pd.DataFrame(data["rr_features"][ds1], columns=columns)
    rhythm["record"], rhythm["sample"] = records[ds1], data["samples"][ds1]
    rhythm["dataset_row"] = ds1
    normal, premature = names.index(args.normal), names.index(args.premature)
    rhythm["in_fibrillation"] = np.isin(data["rhythms"][ds1], args.fibrillation)
    found: list[str] | None = None
    per_fold: dict[str, list[float]] = {}  # each decision's macro-F1 per seed and fold
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
        arguments = (
            probabilities,
            beats[columns].to_numpy(),
            y_true,
            fold_of,
            args.folds,
            normal,
            premature,
        )
        decisions = [
            ("CNN alone", probabilities),
            ("+prematurity", fold_decisions(*arguments, None)),
        ]
        in_fibrillation = beats["in_fibrillation"].to_numpy(dtype=bool)
        # Each HALF's neighbour means once per seed, for every gate and SCALE.
        ventricular_context = {
            half: neighbour_mean(
                probabilities[:, names.index(args.ventricular)],
                beats["record"].to_numpy(),
                beats["sample"].to_numpy(),
                int(half),
            )
            for half, _ in contexts
        }
        for inputs in args.gate_inputs if args.fibrillation else []:
            gate = tuple(inputs.split(","))
            label = f"+prematurity+fibrillation({', '.join(gate)})"
            gated = fold_decisions(*arguments, in_fibrillation, gate)
            decisions.append((label, gated))
            for half, scale in contexts:
                filtered = ventricular_filter(
                    gated, ventricular_context[half], normal, premature, scale
                )
                decisions.append((f"{label}+ventricular({half:g}, {scale:g})", filtered))
        if args.template_neighbours:
            gate = tuple(args.gate_inputs[0].split(","))
            waveforms = data["beats"][beats["dataset_row"].to_numpy()]
            for k in args.template_neighbours:
                smoothed = template_mean(probabilities, waveforms, beats["record"].to_numpy(), k)
                gated = fold_decisions(smoothed, *arguments[1:], in_fibrillation, gate)
                label = f"+templates({k})+prematurity+fibrillation({', '.join(gate)})"
                decisions.append((label, gated))
        for label, chosen in decisions:
            predicted = chosen.argmax(axis=1)
            folds = [
                macro_f1_present(y_true[fold_of == f], predicted[fold_of == f])
                for f in range(args.folds)
            ]
            per_fold.setdefault(label, []).extend(folds)
            row = {
                "setting": args.setting,
                "seed": seed,
                "decision": label,
                **scores(y_true, predicted, names),
                # For paired comparisons with other settings' decisions (the folds are the same).
                "fold_macro_f1": ",".join(f"{value:.4f}" for value in folds),
            }
            report_row(args.out, row, f"seed {seed:<4d} {label:13s}", names)
    print_paired(per_fold)


def print_paired(per_fold: dict[str, list[float]]) -> None:
    """Print each decision's per-fold macro-F1 minus the first gated decision's (the shipped
    one with the default --gate-inputs), paired by seed and fold: mean ± sd, and how many folds
    gain."""
    gated = [label for label in per_fold if label.startswith("+prematurity+fibrillation(")]
    if not gated:
        return
    baseline = np.asarray(per_fold[gated[0]])
    print(f"per-fold macro-F1 minus {gated[0]}'s, paired over seeds and folds:")
    for label, folds in per_fold.items():
        difference = np.asarray(folds) - baseline
        print(
            f"  {label}: {difference.mean():+.4f} ± {difference.std(ddof=1):.4f}, "
            f"higher in {int(np.sum(difference > 0))} of {difference.size}"
        )


if __name__ == "__main__":
    main()
