"""What helps unseen patients: settings of the inter-patient model scored on DS1 validation only.

Reads a finished split of the workflow (``results/datasets/{task}.npz`` and
``results/inter/{task}/split.npz``: run ``snakemake --configfile config/inter_patient.yaml ...
results/inter/aami/split.npz`` first), trains one model per setting on the DS1 training records
and scores it on the DS1 validation records (whole records held out by the split). DS2 (the
test part) is never loaded: nothing here can be chosen by looking at it. Each finished setting
is appended to the output TSV at once, so an interrupted run keeps what it measured.

    python benchmarks/ablate_inter.py --out results/inter/aami/ablation.tsv [--settings A B]
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
from ecgbeats.training import TrainConfig, train_model

ROOT = Path(__file__).resolve().parents[1]
RATIOS = tuple(name for name in RR_FEATURES if "_to_" in name)


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
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--task", default="aami")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    dataset = args.results / "datasets" / f"{args.task}.npz"
    split = args.results / "inter" / args.task / "split.npz"
    # Only the training and validation rows are read: the test part (DS2) stays untouched.
    data, parts, names = load_rows_of(dataset, SPLIT, split, ("train", "validation"))
    train, validation = parts["train"], parts["validation"]
    labels = data["labels"]
    cpu = torch.backends.cpu.get_cpu_capability()
    print(f"validation records: {sorted(set(data['records'][validation]))}; CPU {cpu}")
    for name in args.settings:
        setting = SETTINGS[name]
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
        # Training and validation rows only: DS2's rows are never built.
        train_inputs = dataset_inputs(network, data, train)
        validation_inputs = dataset_inputs(network, data, validation)
        balanced = balance(
            train_inputs,
            labels[train],
            names,
            BalanceOptions(
                method=setting.balance, sampling_strategy="auto", k_neighbors=5, seed=42
            ),
        )
        training = TrainConfig(
            **{
                **{k: v for k, v in config["train"].items() if k != "seeds"},
                "epochs": args.epochs,
                "batch_size": setting.batch_size,
                "seed": 42,
                "device": "cpu",
                "loss": setting.loss,
                "focal_gamma": 2.0,
            }
        )
        started = time.perf_counter()
        result = train_model(
            balanced.beats,
            balanced.labels,
            validation_inputs,
            labels[validation],
            network,
            training,
            class_weights=balanced.class_weights,
        )
        seconds = time.perf_counter() - started
        y_true = labels[validation]
        y_pred = predict_proba(result.model, validation_inputs).argmax(axis=1)
        present = np.unique(y_true)
        row = {
            "setting": name,
            "rr_features": ",".join(setting.rr_features) or "none",
            "balance": setting.balance,
            "batch_size": setting.batch_size,
            "beat_reference": setting.beat_reference,
            "loss": setting.loss,
            "epochs": args.epochs,
            "best_epoch": result.best_epoch,
            "validation_macro_f1": f1_score(y_true, y_pred, labels=present, average="macro"),
            "validation_accuracy": float(np.mean(y_true == y_pred)),
        }
        f1 = f1_score(y_true, y_pred, labels=range(len(names)), average=None, zero_division=0)
        se = recall_score(y_true, y_pred, labels=range(len(names)), average=None, zero_division=0)
        ppv = precision_score(
            y_true, y_pred, labels=range(len(names)), average=None, zero_division=0
        )
        for i, class_name in enumerate(names):
            row[f"{class_name}_f1"] = f1[i]
            row[f"{class_name}_se"] = se[i]
            row[f"{class_name}_ppv"] = ppv[i]
        row["train_beats"] = int(balanced.labels.size)
        row["train_seconds"] = round(seconds, 1)
        row["cpu"] = cpu
        row["note"] = setting.note
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
