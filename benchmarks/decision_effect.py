"""What the premature-beat decision changes on a finished run: each seed's model scored on its
test part as the workflow scores it, without its fibrillation gate (when it has one), and by its
network alone.

Reads ``results/{split}/{task}/seeds/{seed}/model.pt`` and the run's dataset and split. The
decision was chosen by cross-validation over DS1 (``benchmarks/prematurity_cv.py``); this script
only reports, per seed and as mean ± sd, what it did on the test part (DS2 for the inter split),
so nothing may be chosen with it.

    python benchmarks/decision_effect.py --results results --split inter --task aami
        --seeds 1 2 3 [--out TSV]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ecgbeats.artifacts import SPLIT, load_rows_of
from ecgbeats.intervals import confusion_scores, record_confusions
from ecgbeats.model import dataset_inputs, load_model, predict_proba


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--split", default="inter")
    parser.add_argument("--task", default="aami")
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the per-seed rows to this TSV")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run = args.results / args.split / args.task
    data, parts, names = load_rows_of(
        args.results / "datasets" / f"{args.task}.npz", SPLIT, run / "split.npz", ("test",)
    )
    test = parts["test"]
    labels, records = data["labels"][test], data["records"][test]
    rows = []
    for seed in args.seeds:
        model, _ = load_model(run / "seeds" / str(seed) / "model.pt", expected_class_names=names)
        if model.prematurity is None:
            raise SystemExit(f"seed {seed}: the model has no premature-beat decision")
        inputs = dataset_inputs(model.config, data, test)
        decision = model.prematurity
        variants = {"with the decision": decision}
        if decision.fibrillation is not None:
            variants["without the fibrillation gate"] = replace(decision, fibrillation=None)
        variants["network alone"] = None
        for label, variant in variants.items():
            model.set_prematurity(variant)
            rhythm = data["rr_features"][test]
            predicted = predict_proba(model, inputs, rr_features=rhythm).argmax(axis=1)
            _, confusions = record_confusions(records, labels, predicted, len(names))
            scores = confusion_scores(confusions.sum(axis=0))
            row = {"seed": seed, "decision": label}
            row.update({"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]})
            for i, name in enumerate(names):
                row[f"{name}_se"] = scores["sensitivity"][i]
                row[f"{name}_ppv"] = scores["positive_predictivity"][i]
                row[f"{name}_f1"] = scores["f1"][i]
            rows.append(row)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, sep="\t", index=False, float_format="%.4f")
    summary = table.drop(columns="seed").groupby("decision", sort=False).agg(["mean", "std"])
    columns = ["macro_f1", "accuracy", *(f"{n}_{s}" for n in names for s in ("f1", "se", "ppv"))]
    for decision, values in summary.iterrows():
        print(
            f"{decision:18s} "
            + " ".join(
                f"{c} {values[(c, 'mean')]:.3f}±{np.nan_to_num(values[(c, 'std')]):.3f}"
                for c in columns
            )
        )


if __name__ == "__main__":
    main()
