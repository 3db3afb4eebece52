"""What helps unseen patients: settings of the inter-patient model scored on DS1 validation only.

Reads a finished split of the workflow (``results/datasets/{task}.npz`` and
``results/inter/{task}/split.npz``: run ``snakemake --configfile config/inter_patient.yaml ...
results/inter/aami/split.npz`` first). Two schemes:

* ``--folds 0``: one model per setting trained on the DS1 training records and scored on the DS1
  validation records that the split holds out (few S and F beats: noisy);
* ``--folds k``: cross-validation over all DS1 records in k folds of whole records; each fold is
  scored by a model trained on k - 2 other folds whose epoch is chosen on the remaining one (the
  workflow's model selection), and the scores pool every DS1 beat, each predicted once by a model
  that never saw its record.

DS2 (the test part) is never loaded: nothing here can be chosen by looking at it. Each finished
setting is appended to the output TSV at once, so an interrupted run keeps what it measured.

    python benchmarks/ablate_inter.py --out results/inter/aami/ablation.tsv [--folds 5]
        [--settings A B] [--epochs 8] [--threads 2]
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from sklearn.metrics import f1_score, precision_score, recall_score

from ecgbeats.artifacts import SPLIT, load_rows_of
from ecgbeats.balancing import BalanceOptions, balance
from ecgbeats.model import CNNConfig, dataset_inputs, predict_proba
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.training import TrainConfig, macro_f1_present, train_model

ROOT = Path(__file__).resolve().parents[1]
RATIOS = tuple(name for name in RR_FEATURES if "_to_" in name)
RAW = tuple(name for name in RR_FEATURES if "_to_" not in name)


@dataclass(frozen=True)
class Setting:
    """One row of the ablation: what differs from the paper's model and training."""

    rr_features: tuple[str, ...] = ()
    balance: str = "smote"
    batch_size: int = 1280
    beat_reference: str = "none"  # ecgbeats.model.BEAT_REFERENCES
    loss: str = "cross_entropy"
    note: str = field(default="", compare=False)


SETTINGS: dict[str, Setting] = {
    "paper": Setting(note="the paper's CNN and SMOTE, no RR features"),
    "class_weight": Setting(balance="class_weight", batch_size=256, note="no RR"),
    "rr_all": Setting(RR_FEATURES, "class_weight", 256),
    "rr_ratios": Setting(RATIOS, "class_weight", 256, note="ratios to the patient's rhythm"),
    "rr_all_none": Setting(RR_FEATURES, "none", 256),
    "rr_all_random": Setting(RR_FEATURES, "random", 1280),
    "rr_all_smote": Setting(RR_FEATURES, "smote", 1280),
    "rr_all_batch1280": Setting(RR_FEATURES, "class_weight", 1280),
    "rr_all_focal": Setting(RR_FEATURES, "class_weight", 256, loss="focal", note="gamma 2"),
    "rr_all_focal_unweighted": Setting(RR_FEATURES, "none", 256, loss="focal", note="gamma 2"),
    "rr_all_record_median": Setting(
        RR_FEATURES, "class_weight", 256, "record_median", note="beat minus its record's median"
    ),
    "record_median": Setting(
        (), "class_weight", 256, "record_median", note="no RR; beat minus its record's median"
    ),
    "rr_all_record_median_focal": Setting(
        RR_FEATURES, "class_weight", 256, "record_median", "focal", note="gamma 2"
    ),
    "rr_raw_record_median_focal": Setting(
        RAW, "class_weight", 256, "record_median", "focal", note="RR in seconds, no ratios"
    ),
    "rr_ratios_record_median_focal": Setting(
        RATIOS, "class_weight", 256, "record_median", "focal", note="ratios only"
    ),
    "rr_raw_record_median": Setting(
        RAW, "class_weight", 256, "record_median", note="RR in seconds, no ratios"
    ),
    "rr_raw_record_median_focal_random": Setting(
        RAW, "random", 1280, "record_median", "focal", note="random oversampling"
    ),
    "rr_all_record_median_focal_random": Setting(
        RR_FEATURES, "random", 1280, "record_median", "focal", note="random oversampling"
    ),
    "record_median_focal": Setting((), "class_weight", 256, "record_median", "focal", note="no RR"),
}


def ds1_folds(records: np.ndarray, labels: np.ndarray, names: list[str], k: int) -> list[list[str]]:
    """Whole DS1 records dealt into `k` folds, rarest classes first: records sorted by their
    S, F and V counts (descending) and dealt in snake order, so every fold holds some of the
    few records that carry S and F beats. Deterministic (ties by record name)."""
    counts = {
        record: tuple(
            int(np.sum((records == record) & (labels == names.index(c))))
            for c in ("S", "F", "V")
            if c in names
        )
        for record in np.unique(records)
    }
    order = sorted(counts, key=lambda record: (tuple(-n for n in counts[record]), record))
    folds: list[list[str]] = [[] for _ in range(k)]
    for i, record in enumerate(order):
        lap, position = divmod(i, k)
        folds[position if lap % 2 == 0 else k - 1 - position].append(str(record))
    return folds


def train_and_predict(
    setting: Setting,
    data: dict[str, np.ndarray],
    names: list[str],
    rows: dict[str, np.ndarray],
    config: dict,
    epochs: int,
    seed: int,
) -> tuple[np.ndarray, int, int, float]:
    """Train the setting's model on rows["train"], keep the epoch best on rows["validation"]
    (the workflow's model selection) and predict rows["score"].
    Returns (predicted labels, best epoch, training beats after balancing, seconds)."""
    labels = data["labels"]
    network = CNNConfig(
        n_classes=len(names),
        input_length=data["beats"].shape[1],
        channels=config["model"]["channels"],
        hidden=config["model"]["hidden"],
        kernel_size=config["model"]["kernel_size"],
        dropout=config["model"]["dropout"],
        rr_features=setting.rr_features,
        rr_hidden=config["model"]["rr_hidden"],
        beat_reference=setting.beat_reference,
    )
    balanced = balance(
        dataset_inputs(network, data, rows["train"]),
        labels[rows["train"]],
        names,
        BalanceOptions(method=setting.balance, sampling_strategy="auto", k_neighbors=5, seed=seed),
    )
    training = TrainConfig(
        **{
            **{k: v for k, v in config["train"].items() if k != "seeds"},
            "epochs": epochs,
            "batch_size": setting.batch_size,
            "seed": seed,
            "device": "cpu",
            "loss": setting.loss,
            "focal_gamma": 2.0,
            "precision": "float32",
        }
    )
    started = time.perf_counter()
    result = train_model(
        balanced.beats,
        balanced.labels,
        dataset_inputs(network, data, rows["validation"]),
        labels[rows["validation"]],
        network,
        training,
        class_weights=balanced.class_weights,
    )
    seconds = time.perf_counter() - started
    predicted = predict_proba(result.model, dataset_inputs(network, data, rows["score"]))
    return predicted.argmax(axis=1), result.best_epoch, int(balanced.labels.size), seconds


def scores(y_true: np.ndarray, y_pred: np.ndarray, names: list[str]) -> dict[str, float]:
    """Macro-F1 over the classes present, accuracy, and per class F1, Se and +P."""
    row = {
        "macro_f1": macro_f1_present(y_true, y_pred),
        "accuracy": float(np.mean(y_true == y_pred)),
    }
    every = range(len(names))
    f1 = f1_score(y_true, y_pred, labels=every, average=None, zero_division=0)
    se = recall_score(y_true, y_pred, labels=every, average=None, zero_division=0)
    ppv = precision_score(y_true, y_pred, labels=every, average=None, zero_division=0)
    for i, class_name in enumerate(names):
        row[f"{class_name}_f1"] = f1[i]
        row[f"{class_name}_se"] = se[i]
        row[f"{class_name}_ppv"] = ppv[i]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--task", default="aami")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        help="0: score on the split's DS1 validation records; k >= 3: cross-validation over "
        "all DS1 records in k record folds (each fold scored by a model trained on k - 2 folds "
        "and selected on the next fold)",
    )
    args = parser.parse_args()
    if args.folds and args.folds < 3:
        parser.error("--folds must be 0 or at least 3")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    dataset = args.results / "datasets" / f"{args.task}.npz"
    split = args.results / "inter" / args.task / "split.npz"
    # Only the training and validation rows are read: the test part (DS2) stays untouched.
    data, parts, names = load_rows_of(dataset, SPLIT, split, ("train", "validation"))
    labels, records = data["labels"], data["records"].astype(str)
    cpu = torch.backends.cpu.get_cpu_capability()
    if args.folds:
        ds1 = np.concatenate([parts["train"], parts["validation"]])
        folds = ds1_folds(records[ds1], labels[ds1], names, args.folds)
        fold_rows = [ds1[np.isin(records[ds1], fold)] for fold in folds]
        scheme = f"cv{args.folds}"
        print(f"{scheme} over DS1 records: {folds}; CPU {cpu}")
    else:
        scheme = "validation"
        print(f"validation records: {sorted(set(records[parts['validation']]))}; CPU {cpu}")
    for name in args.settings:
        setting = SETTINGS[name]
        if args.folds:
            y_true, y_pred, best, fold_f1, seconds, beats = [], [], [], [], 0.0, 0
            for i, rows in enumerate(fold_rows):
                selection = fold_rows[(i + 1) % args.folds]
                others = [r for j, r in enumerate(fold_rows) if j not in (i, (i + 1) % args.folds)]
                plan = {"train": np.concatenate(others), "validation": selection, "score": rows}
                predicted, epoch, n, s = train_and_predict(
                    setting, data, names, plan, config, args.epochs, args.seed
                )
                y_true.append(labels[rows])
                y_pred.append(predicted)
                best.append(str(epoch))
                fold_f1.append(scores(labels[rows], predicted, names)["macro_f1"])
                seconds, beats = seconds + s, beats + n
            # Pooled: every DS1 beat predicted once, by a model that never saw its record.
            measured = scores(np.concatenate(y_true), np.concatenate(y_pred), names)
            spread = {
                "fold_macro_f1_sd": float(np.std(fold_f1, ddof=1)),
                # Per fold, for paired comparisons of settings (the folds are the same).
                "fold_macro_f1": ",".join(f"{value:.4f}" for value in fold_f1),
            }
            scored = sum(part.size for part in y_true)
        else:
            plan = {"train": parts["train"], "validation": parts["validation"]}
            plan["score"] = parts["validation"]
            predicted, epoch, beats, seconds = train_and_predict(
                setting, data, names, plan, config, args.epochs, args.seed
            )
            measured = scores(labels[plan["score"]], predicted, names)
            # Same columns as the cross-validation rows: both schemes can share one TSV.
            best, spread = [str(epoch)], {"fold_macro_f1_sd": float("nan"), "fold_macro_f1": ""}
            scored = plan["score"].size
        row = {
            "setting": name,
            "scheme": scheme,
            "rr_features": ",".join(setting.rr_features) or "none",
            "balance": setting.balance,
            "batch_size": setting.batch_size,
            "beat_reference": setting.beat_reference,
            "loss": setting.loss,
            "epochs": args.epochs,
            "seed": args.seed,
            "best_epoch": ",".join(best),
            **{
                f"validation_{key}" if key in ("macro_f1", "accuracy") else key: value
                for key, value in measured.items()
            },
            **spread,
            "scored_beats": scored,
            "train_beats": beats,
            "train_seconds": round(seconds, 1),
            "cpu": cpu,
            "note": setting.note,
        }
        table = pd.DataFrame([row])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(
            args.out,
            sep="\t",
            index=False,
            float_format="%.4f",
            mode="a",
            header=not args.out.is_file(),
        )
        print(table.drop(columns=["note"]).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
