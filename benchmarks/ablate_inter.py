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

With ``--offsets`` every model also decides through per-class offsets on its log-probabilities,
fitted on its selection part (ecgbeats.training.fit_logit_offsets): a second row per setting,
named ``SETTING+offsets``, from the same models; with ``--record-bn`` a row ``SETTING+record_bn``
of the same models deciding with every BatchNorm's statistics taken from the scored record's own
beats (the ``..._record_bn`` setting also trains on batches of one record and always scores that
way). ``--predictions`` writes every scored beat with its class probabilities, which
``benchmarks/ensemble_seeds.py`` averages over seeds. The two-lead settings read the second lead of
each DS1 record from ``--data-dir`` (the workflow's beats are one lead), and the wide-window
setting cuts its beats there again with more samples before the R peak.

DS2 (the test part) is never used: the dataset file holds its rows, but the split's test indices
are never looked at, no DS2 row is trained on or scored, and no DS2 record is read to cut beats;
nothing here can be chosen by looking at it. Each finished setting is appended to the output TSV
at once, so an interrupted run keeps what it measured.

    python benchmarks/ablate_inter.py --out results/inter/aami/ablation.tsv [--folds 5]
        [--settings A B] [--epochs 8] [--threads 2] [--seed 42] [--offsets] [--record-bn]
        [--predictions DIR] [--data-dir DIR]
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
from ecgbeats.beats import BeatOptions, beats_from_signal
from ecgbeats.denoising import DenoisingOptions
from ecgbeats.errors import InputError
from ecgbeats.model import CNNConfig, dataset_inputs, predict_proba
from ecgbeats.records import read_annotations_of, read_header, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.training import (
    Augmentation,
    TrainConfig,
    fit_logit_offsets,
    macro_f1_present,
    outputs_by_group,
    train_model,
)

ROOT = Path(__file__).resolve().parents[1]
#: The nine features measured first ("all"), written out: features added to RR_FEATURES later
#: (the context below, irregularity, p_wave_regularity) must not change what a setting means.
NINE = (
    "previous",
    "next",
    "local",
    "record",
    "previous_to_record",
    "next_to_record",
    "local_to_record",
    "previous_to_local",
    "next_to_previous",
)
CONTEXT = ("previous_2", "next_2", "local_irregularity")
RATIOS = tuple(name for name in NINE if "_to_" in name)
RAW = tuple(name for name in NINE if "_to_" not in name)
#: Decision offsets tried per class by --offsets (log-probability units).
OFFSET_GRID = tuple(np.round(np.arange(-4.0, 4.01, 0.25), 2))


@dataclass(frozen=True)
class Setting:
    """One row of the ablation: what differs from the paper's model and training."""

    rr_features: tuple[str, ...] = ()
    balance: str = "smote"
    batch_size: int = 1280
    beat_reference: str = "none"  # ecgbeats.model.BEAT_REFERENCES
    loss: str = "cross_entropy"
    leads: int = 1  # 2: the record's second lead as a second input channel
    before: int = 150  # samples before the R peak (config.yaml beats.before)
    dropout: float | None = None  # of the hidden layers; None: config.yaml model.dropout
    augmentation: Augmentation | None = None  # random changes to the training beats
    # Training batches of one record each, and every record scored through BatchNorm statistics
    # of its own beats (ecgbeats.training.group_batches, outputs_by_group).
    record_batches: bool = False
    # The beat itself as a further channel beside its departure from the record's median beat
    # (with beat_reference record_median): the patient's reference and the shape the reference
    # hides where one kind of beat is most of a record.
    with_beat: bool = False
    # N and S trained as one class, beats conducted normally: the network learns only what the
    # beat's shape can tell, and the premature-beat decision (prematurity_cv.py) shares that
    # class's probability between N and S by timing. Written as N's probability, S's as 0.
    conducted: bool = False
    # The class weights' power (ecgbeats.balancing.BalanceOptions.class_weight_power): 1 the
    # inverse class frequencies, 0.5 their square root.
    class_weight_power: float = 1.0
    note: str = field(default="", compare=False)

    @property
    def channels(self) -> int:
        """The network's input channels: the leads, each twice with ``with_beat``."""
        return self.leads * (2 if self.with_beat else 1)

    def hidden_dropout(self, config: dict) -> float:
        """The dropout of the hidden layers: the setting's own, else config.yaml's."""
        return config["model"]["dropout"] if self.dropout is None else self.dropout


SETTINGS: dict[str, Setting] = {
    "paper": Setting(note="the paper's CNN and SMOTE, no RR features"),
    "class_weight": Setting(balance="class_weight", batch_size=256, note="no RR"),
    "rr_all": Setting(NINE, "class_weight", 256),
    "rr_ratios": Setting(RATIOS, "class_weight", 256, note="ratios to the patient's rhythm"),
    "rr_all_none": Setting(NINE, "none", 256),
    "rr_all_random": Setting(NINE, "random", 1280),
    "rr_all_smote": Setting(NINE, "smote", 1280),
    "rr_all_batch1280": Setting(NINE, "class_weight", 1280),
    "rr_all_focal": Setting(NINE, "class_weight", 256, loss="focal", note="gamma 2"),
    "rr_all_focal_unweighted": Setting(NINE, "none", 256, loss="focal", note="gamma 2"),
    "rr_all_record_median": Setting(
        NINE, "class_weight", 256, "record_median", note="beat minus its record's median"
    ),
    "record_median": Setting(
        (), "class_weight", 256, "record_median", note="no RR; beat minus its record's median"
    ),
    "rr_all_record_median_focal": Setting(
        NINE, "class_weight", 256, "record_median", "focal", note="gamma 2"
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
        NINE, "random", 1280, "record_median", "focal", note="random oversampling"
    ),
    "record_median_focal": Setting((), "class_weight", 256, "record_median", "focal", note="no RR"),
    "rr_context_record_median_focal": Setting(
        RAW + CONTEXT, "class_weight", 256, "record_median", "focal", note="longer RR context"
    ),
    "rr_raw_record_median_focal_wide": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        before=360,
        note="1 s before the R peak: the previous beat in the window",
    ),
    "rr_raw_record_median_focal_dropout": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        dropout=0.5,
        note="dropout 0.5 after each hidden layer",
    ),
    "rr_raw_record_median_focal_augmented": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        augmentation=Augmentation(scale=0.15, shift=4, noise=0.1),
        note="training beats scaled by up to 15 %, moved by up to 4 samples, noise sd 0.1",
    ),
    "rr_raw_record_median_focal_record_bn": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        record_batches=True,
        note="batches of one record; BatchNorm statistics of the scored record",
    ),
    "rr_raw_record_median_focal_two_leads": Setting(
        RAW, "class_weight", 256, "record_median", "focal", 2, note="second lead as a channel"
    ),
    "rr_all_record_median_two_leads": Setting(
        NINE, "class_weight", 256, "record_median", leads=2, note="second lead as a channel"
    ),
    "rr_raw_record_median_focal_with_beat": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        with_beat=True,
        note="the beat minus its record's median beat, and the beat itself, as two channels",
    ),
    "rr_raw_record_median_focal_conducted": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        conducted=True,
        note="N and S trained as one class (conducted), for the premature-beat decision",
    ),
    "rr_raw_record_median_focal_sqrt_weights": Setting(
        RAW,
        "class_weight",
        256,
        "record_median",
        "focal",
        class_weight_power=0.5,
        note="class weights the square root of the inverse class frequencies",
    ),
}


def conducted_labels(labels: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """`labels` (indices into `names`) with S merged into N and the classes after S moved down
    one, and the remaining class names (S left out)."""
    normal, premature = names.index("N"), names.index("S")
    merged = np.where(labels == premature, normal, labels)
    return np.where(merged > premature, merged - 1, merged), [n for n in names if n != "S"]


def with_premature_column(probabilities: np.ndarray, names: list[str]) -> np.ndarray:
    """Probabilities of the classes without S (conducted_labels) as columns of all `names`:
    the conducted class's under N, 0 under S."""
    premature = names.index("S")
    zeros = np.zeros((probabilities.shape[0], 1), dtype=probabilities.dtype)
    return np.hstack([probabilities[:, :premature], zeros, probabilities[:, premature:]])


#: The second lead: the first of these that the record has besides its first lead (MIT-BIH: V1
#: in most records, V5 in 114, V4 in 124, V2 in 103 and 117, V5 in 100 and 123).
SECOND_LEADS = ("V1", "V2", "V3", "V4", "V5", "V6", "MLII")


def recut_beats(
    data: dict[str, np.ndarray], ds1: np.ndarray, data_dir: Path, config: dict, setting: Setting
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The setting's beats, cut again from the DS1 records in `data_dir` at the dataset's
    annotated R peaks with the workflow's denoising and normalisation: the first lead with
    ``setting.before`` samples before the peak; with ``setting.leads == 2`` followed, row by row,
    by the record's other lead (a model with ``leads=2`` takes it as a second channel).

    Only the records of the rows `ds1` are read and cut; the other rows stay zeros. Returns the
    dataset with these beats and median beats, and which rows have them (a window reaching
    further back drops a record's first beat when it starts too early)."""
    records = data["records"].astype(str)
    present = set(records[ds1])
    window = BeatOptions(**{**config["beats"], "before": setting.before})
    width = window.before + window.after
    beats = np.zeros((records.size, setting.leads * width), dtype=np.float32)
    medians = np.zeros((data["record_ids"].size, setting.leads * width), dtype=np.float32)
    available = np.zeros(records.size, dtype=bool)
    for i, record in enumerate(data["record_ids"].astype(str)):
        if record not in present:
            continue  # DS2: its records are not even read
        path = data_dir / record
        first = read_recording(path, config["leads"], target_fs=TARGET_FS)
        recordings = [first]
        if setting.leads == 2:
            names = read_header(path).sig_name
            others = [lead for lead in SECOND_LEADS if lead != first.lead and lead in names]
            if not others:
                raise InputError(f"record {record}: no second lead among {names}")
            recordings.append(read_recording(path, others[:1], target_fs=TARGET_FS))
        samples, _ = read_annotations_of(first, path, "atr")
        rows = np.intersect1d(np.flatnonzero(records == record), ds1)
        for lead, recording in enumerate(recordings):
            beat_set = beats_from_signal(
                recording.signal,
                recording.fs,
                samples,
                denoising=DenoisingOptions(**config["denoise"]),
                window=window,
            )
            found = np.minimum(
                np.searchsorted(beat_set.samples, data["samples"][rows]), beat_set.samples.size - 1
            )
            cut = beat_set.samples[found] == data["samples"][rows]
            columns = slice(lead * width, (lead + 1) * width)
            beats[rows[cut], columns] = beat_set.beats[found[cut]]
            medians[i, columns] = beat_set.median_beat
            available[rows] = cut
        print(f"record {record}: {'+'.join(r.lead for r in recordings)}", flush=True)
    return {**data, "beats": beats, "median_beats": medians}, available


def with_beat_channel(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The dataset with every beat followed by itself, and every median beat by zeros: a model
    of two channels taking beats relative to the record's median beat then sees the beat minus
    the median in the first channel and the beat itself in the second."""
    return {
        **data,
        "beats": np.hstack([data["beats"], data["beats"]]),
        "median_beats": np.hstack([data["median_beats"], np.zeros_like(data["median_beats"])]),
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


def network_config(
    setting: Setting, data: dict[str, np.ndarray], names: list[str], config: dict
) -> CNNConfig:
    """The setting's network for the dataset `data`: config.yaml's shape, the setting's RR
    features, reference and dropout, one input channel per lead (two with ``with_beat``)."""
    return CNNConfig(
        n_classes=len(names),
        input_length=data["beats"].shape[1] // setting.channels,
        leads=setting.channels,
        channels=config["model"]["channels"],
        hidden=config["model"]["hidden"],
        kernel_size=config["model"]["kernel_size"],
        dropout=setting.hidden_dropout(config),
        rr_features=setting.rr_features,
        rr_hidden=config["model"]["rr_hidden"],
        beat_reference=setting.beat_reference,
    )


def train_and_predict(
    setting: Setting,
    data: dict[str, np.ndarray],
    names: list[str],
    rows: dict[str, np.ndarray],
    config: dict,
    epochs: int,
    seed: int,
    offsets: bool,
    record_bn: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray, int, int, float]:
    """Train the setting's model on rows["train"], keep the epoch best on rows["validation"]
    (the workflow's model selection) and predict rows["score"]; with `offsets`, through
    per-class decision offsets fitted on rows["validation"] (ecgbeats.training.fit_logit_offsets);
    with `record_bn`, also with every BatchNorm's statistics taken from the scored record's own
    beats (no labels: each patient's features normalised to the patient).
    Returns (predicted labels by variant: "" plain, "+offsets" with the offsets; the class
    probabilities of rows["score"]; best epoch, training beats after balancing, seconds)."""
    labels = data["labels"]
    scored_names = names
    if setting.conducted:
        if offsets:
            raise InputError("a setting trained on conducted beats takes no --offsets")
        labels, names = conducted_labels(labels, names)
    network = network_config(setting, data, names, config)
    balanced = balance(
        dataset_inputs(network, data, rows["train"]),
        labels[rows["train"]],
        names,
        BalanceOptions(
            method=setting.balance,
            sampling_strategy="auto",
            k_neighbors=5,
            seed=seed,
            class_weight_power=setting.class_weight_power,
        ),
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
    records = data["records"]
    groups = None
    if setting.record_batches:
        if balanced.labels.size != rows["train"].size:
            raise InputError("batches of one record need balance class_weight or none")
        groups = (records[rows["train"]], records[rows["validation"]])
    started = time.perf_counter()
    result = train_model(
        balanced.beats,
        balanced.labels,
        dataset_inputs(network, data, rows["validation"]),
        labels[rows["validation"]],
        network,
        training,
        class_weights=balanced.class_weights,
        augmentation=setting.augmentation,
        groups=groups,
    )
    seconds = time.perf_counter() - started
    scored = dataset_inputs(network, data, rows["score"])
    predicted = (
        by_record(result.model, scored, records[rows["score"]])
        if setting.record_batches
        else predict_proba(result.model, scored)
    )
    if setting.conducted:
        predicted = with_premature_column(predicted, scored_names)
    decided = {"": predicted.argmax(axis=1)}
    if offsets:
        # Per-class decision offsets fitted on the selection rows, applied to the scored ones:
        # the same model's decisions with and without them.
        selection = predict_proba(result.model, dataset_inputs(network, data, rows["validation"]))
        fitted = fit_logit_offsets(
            np.log(selection + 1e-12), labels[rows["validation"]], OFFSET_GRID, rounds=2
        )
        print(f"offsets {np.round(fitted, 2).tolist()}", flush=True)
        decided["+offsets"] = (np.log(predicted + 1e-12) + fitted).argmax(axis=1)
    if record_bn and not setting.record_batches:
        by_own = by_record(result.model, scored, records[rows["score"]])
        if setting.conducted:
            by_own = with_premature_column(by_own, scored_names)
        decided["+record_bn"] = by_own.argmax(1)
    return decided, predicted, result.best_epoch, int(balanced.labels.size), seconds


def by_record(model: torch.nn.Module, inputs: np.ndarray, records: np.ndarray) -> np.ndarray:
    """Class probabilities of `inputs`, each record's rows through BatchNorm statistics of its
    own beats (ecgbeats.training.outputs_by_group)."""
    logits = outputs_by_group(model, torch.from_numpy(inputs).unsqueeze(1), records)
    return torch.softmax(torch.from_numpy(logits), dim=1).numpy()


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
        "--data-dir",
        type=Path,
        help="MIT-BIH records (needed by the settings that cut their own beats: two leads, a "
        "wider window)",
    )
    parser.add_argument(
        "--offsets",
        action="store_true",
        help="decide through per-class offsets fitted on the selection part (setting names get "
        "the suffix +offsets)",
    )
    parser.add_argument(
        "--record-bn",
        action="store_true",
        help="also decide with every BatchNorm's statistics taken from the scored record's own "
        "beats (setting names get the suffix +record_bn)",
    )
    parser.add_argument(
        "--predictions",
        type=Path,
        help="also write every scored beat (record, sample, true and predicted class, the "
        "class probabilities) of each setting to PREDICTIONS/SETTING_seedSEED.tsv, for "
        "per-record error analysis and seed ensembles",
    )
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
    # Only the training and validation indices are used: the test part (DS2) stays untouched.
    data, parts, names = load_rows_of(dataset, SPLIT, split, ("train", "validation"))
    labels, records = data["labels"], data["records"].astype(str)
    ds1 = np.concatenate([parts["train"], parts["validation"]])
    # One cut per (leads, before): settings that cut the same beats share it (records read once).
    cuts: dict[tuple[int, int], tuple[dict[str, np.ndarray], np.ndarray]] = {}
    recut: dict[str, tuple[dict[str, np.ndarray], np.ndarray]] = {}
    for name in args.settings:
        setting = SETTINGS[name]
        if setting.leads != 1 or setting.before != config["beats"]["before"]:
            if args.data_dir is None:
                parser.error(f"setting {name} cuts its own beats: it needs --data-dir")
            key = (setting.leads, setting.before)
            if key not in cuts:
                cuts[key] = recut_beats(data, ds1, args.data_dir, config, setting)
            recut[name] = cuts[key]
            lost = int(np.sum(~recut[name][1][ds1]))
            if lost and setting.before == config["beats"]["before"]:
                raise InputError(f"{lost} dataset beats not found again in their records")
            print(f"{name}: {lost} DS1 beats outside the window", flush=True)
    cpu = torch.backends.cpu.get_cpu_capability()
    if args.folds:
        folds = ds1_folds(records[ds1], labels[ds1], names, args.folds)
        fold_rows = [ds1[np.isin(records[ds1], fold)] for fold in folds]
        scheme = f"cv{args.folds}"
        print(f"{scheme} over DS1 records: {folds}; CPU {cpu}")
    else:
        scheme = "validation"
        print(f"validation records: {sorted(set(records[parts['validation']]))}; CPU {cpu}")
    for name in args.settings:
        setting = SETTINGS[name]
        inputs, available = recut.get(name, (data, np.ones(labels.size, dtype=bool)))
        if setting.with_beat:
            inputs = with_beat_channel(inputs)
        if args.folds:
            plans = []
            for i, rows in enumerate(fold_rows):
                selection = fold_rows[(i + 1) % args.folds]
                others = [r for j, r in enumerate(fold_rows) if j not in (i, (i + 1) % args.folds)]
                plans.append(
                    {"train": np.concatenate(others), "validation": selection, "score": rows}
                )
        else:
            plans = [
                {**{k: parts[k] for k in ("train", "validation")}, "score": parts["validation"]}
            ]
        # Beats a wider window cannot cut (a record's first, too close to its start) leave
        # this setting's folds; scored_beats says how many remain.
        plans = [{part: rows[available[rows]] for part, rows in plan.items()} for plan in plans]
        decided, probabilities, best, seconds, beats = [], [], [], 0.0, 0
        for plan in plans:
            variants, proba, epoch, n, s = train_and_predict(
                setting,
                inputs,
                names,
                plan,
                config,
                args.epochs,
                args.seed,
                args.offsets,
                args.record_bn,
            )
            decided.append(variants)
            probabilities.append(proba)
            best.append(str(epoch))
            seconds, beats = seconds + s, beats + n
        y_true = np.concatenate([labels[plan["score"]] for plan in plans])
        for variant in decided[0]:
            # Pooled: every scored beat predicted once, by a model that never saw its record.
            y_pred = np.concatenate([fold[variant] for fold in decided])
            measured = scores(y_true, y_pred, names)
            fold_f1 = [
                scores(labels[plan["score"]], fold[variant], names)["macro_f1"]
                for plan, fold in zip(plans, decided, strict=True)
            ]
            spread = {
                "fold_macro_f1_sd": float(np.std(fold_f1, ddof=1)) if args.folds else float("nan"),
                # Per fold, for paired comparisons of settings (the folds are the same).
                "fold_macro_f1": ",".join(f"{value:.4f}" for value in fold_f1)
                if args.folds
                else "",
            }
            row = {
                "setting": f"{name}{variant}",
                "scheme": scheme,
                "rr_features": ",".join(setting.rr_features) or "none",
                "balance": setting.balance,
                "batch_size": setting.batch_size,
                "beat_reference": setting.beat_reference,
                "loss": setting.loss,
                "leads": setting.leads,
                "with_beat": setting.with_beat,
                "conducted": setting.conducted,
                "class_weight_power": setting.class_weight_power,
                "dropout": setting.hidden_dropout(config),
                "augmentation": str(setting.augmentation or "none"),
                "record_batches": setting.record_batches,
                "epochs": args.epochs,
                "seed": args.seed,
                "best_epoch": ",".join(best),
                **{
                    f"validation_{key}" if key in ("macro_f1", "accuracy") else key: value
                    for key, value in measured.items()
                },
                **spread,
                "scored_beats": y_true.size,
                "train_beats": beats,
                "train_seconds": round(seconds, 1),
                "cpu": cpu,
                "note": setting.note,
            }
            append_row(args.out, row)
            if args.predictions:
                scored = np.concatenate([plan["score"] for plan in plans])
                scored_probabilities = np.concatenate(probabilities)
                beats_scored = pd.DataFrame(
                    {
                        "record": records[scored],
                        "sample": data["samples"][scored],
                        "true": np.asarray(names)[y_true],
                        "predicted": np.asarray(names)[y_pred],
                        # The model's probabilities (the same for every variant): seeds can
                        # be averaged afterwards (an ensemble) without training again.
                        **{
                            f"p_{class_name}": scored_probabilities[:, i]
                            for i, class_name in enumerate(names)
                        },
                    }
                )
                args.predictions.mkdir(parents=True, exist_ok=True)
                beats_scored.to_csv(
                    args.predictions / f"{name}{variant}_seed{args.seed}.tsv", sep="\t", index=False
                )


def report_row(out: Path | None, row: dict, label: str, names: list[str]) -> None:
    """Append `row` (with :func:`scores`' keys) to the TSV `out`, or without one print it as a
    line: `label`, the macro-F1, then per class F1, Se and +P."""
    if out:
        append_row(out, row)
        return
    print(
        f"{label} macro-F1 {row['macro_f1']:.4f} "
        + " ".join(
            f"{n} F1 {row[f'{n}_f1']:.3f} (Se {row[f'{n}_se']:.2f} +P {row[f'{n}_ppv']:.2f})"
            for n in names
        ),
        flush=True,
    )


def append_row(path: Path, row: dict) -> None:
    """Append one setting's scores to the TSV at `path` (header with the first row); print them.
    A TSV written with other columns (by an older version of the benchmark) is refused: appended
    rows would fall under the wrong headers."""
    table = pd.DataFrame([row])
    if path.is_file():
        with path.open() as existing:
            header = existing.readline().rstrip("\n").split("\t")
        if header != list(table.columns):
            raise InputError(
                f"{path}: its columns {header} are not this benchmark's {list(table.columns)}; "
                "give another --out"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(
        path, sep="\t", index=False, float_format="%.4f", mode="a", header=not path.is_file()
    )
    print(table.drop(columns=["note"], errors="ignore").to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
