"""Per-class classification metrics, curves and the side-by-side comparison with the paper.

All metrics come from scikit-learn; this module only arranges them one-vs-rest per class and
handles what scikit-learn leaves to the caller: classes absent from the evaluated part.

A class with no beat in ``y_true`` has no recall, F1, ROC-AUC or average precision: those are NaN
(never 0, which would read as a real failure), a warning is logged, the ``note`` column of the
table says so, and the macro average is taken over the classes present only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from ecgbeats.artifacts import HISTORY_METRICS, HISTORY_PARTS, check_history, read_table
from ecgbeats.errors import InputError

logger = logging.getLogger(__name__)

#: Metric columns of the metrics table, in order (also the paper tables' metric columns).
METRICS: tuple[str, ...] = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "average_precision",
)
MACRO = "macro avg"
WEIGHTED = "weighted avg"
ABSENT_NOTE = "absent from the evaluated part: recall, F1, ROC-AUC and AP undefined (NaN)"


def check_predictions(
    y_true: np.ndarray, y_score: np.ndarray, class_names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Validate labels (n,) and class probabilities (n, k); return them as int64 / float64."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    k = len(class_names)
    if k < 2:
        raise InputError(f"class_names: need at least 2 classes, got {list(class_names)}")
    if y_true.ndim != 1 or y_score.ndim != 2:
        raise InputError(
            f"labels must be 1-D and probabilities 2-D, got shapes {y_true.shape} and "
            f"{y_score.shape}"
        )
    if y_score.shape != (y_true.shape[0], k):
        raise InputError(
            f"probabilities have shape {y_score.shape}, expected ({y_true.shape[0]}, {k}) for "
            f"{y_true.shape[0]} beats and classes {list(class_names)}"
        )
    if y_true.shape[0] == 0:
        raise InputError("no beats to evaluate (empty test part)")
    if not np.issubdtype(y_true.dtype, np.integer):
        raise InputError(f"labels must be integer class indexes, got dtype {y_true.dtype}")
    if y_true.min() < 0 or y_true.max() >= k:
        raise InputError(
            f"labels must lie in 0..{k - 1} (classes {list(class_names)}), "
            f"got {y_true.min()}..{y_true.max()}"
        )
    if not np.all(np.isfinite(y_score)):
        raise InputError("probabilities contain NaN or infinite values")
    return y_true.astype(np.int64), y_score


def one_vs_rest_accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Per class c, (TP + TN) / (TP + TN + FP + FN) of the binary task "c vs the rest".

    This is the paper's eq. (1); unlike the overall accuracy it rewards the many true negatives
    of a rare class, so it is close to 1 for every rare class.
    """
    counts = confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))
    total = counts.sum()
    tp = np.diag(counts)
    fp = counts.sum(axis=0) - tp
    fn = counts.sum(axis=1) - tp
    tn = total - tp - fp - fn
    return (tp + tn) / total


def classification_table(
    y_true: np.ndarray, y_score: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """Per-class metrics plus macro and weighted averages.

    ``y_score`` holds class probabilities (n, k); predictions are their argmax. Columns:
    ``class``, ``support``, the :data:`METRICS` and ``note``. Rows: one per class in
    ``class_names`` order, then ``macro avg`` (unweighted mean over the classes present) and
    ``weighted avg`` (weighted by support, as scikit-learn's ``average="weighted"``).
    """
    y_true, y_score = check_predictions(y_true, y_score, class_names)
    k = len(class_names)
    labels = np.arange(k)
    y_pred = y_score.argmax(axis=1)
    support = np.bincount(y_true, minlength=k)
    present = support > 0
    predicted = np.bincount(y_pred, minlength=k) > 0

    # zero_division=0: a present class never predicted has precision 0 (a real miss); the
    # undefined values of absent classes are set to NaN below instead.
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0.0
    )
    accuracy = one_vs_rest_accuracy(y_true, y_pred, k)
    auc = np.full(k, np.nan)
    ap = np.full(k, np.nan)
    for c in np.flatnonzero(present):
        positives = y_true == c
        if positives.all():
            # Only one class in the part: no negatives, ROC-AUC undefined; AP is trivially 1.
            logger.warning("class %s is the only class present: ROC-AUC undefined", class_names[c])
        else:
            auc[c] = roc_auc_score(positives, y_score[:, c])
        ap[c] = average_precision_score(positives, y_score[:, c])

    notes = [""] * k
    for c in np.flatnonzero(~present):
        logger.warning(
            "class %s has no beat in the evaluated part: recall, F1, ROC-AUC and AP are NaN",
            class_names[c],
        )
        recall[c] = f1[c] = np.nan
        if not predicted[c]:
            precision[c] = np.nan
        notes[c] = ABSENT_NOTE

    table = pd.DataFrame(
        {
            "class": list(class_names),
            "support": support,
            "accuracy": accuracy,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "roc_auc": auc,
            "average_precision": ap,
            "note": notes,
        }
    )
    values = table[list(METRICS)].to_numpy(dtype=np.float64)
    macro = np.nanmean(np.where(present[:, None], values, np.nan), axis=0)
    weights = support / support.sum()
    weighted = np.nansum(values * weights[:, None], axis=0)
    # A metric undefined for a present class (e.g. ROC-AUC with one class) stays undefined.
    weighted[np.isnan(values[present]).any(axis=0)] = np.nan
    n_present = int(present.sum())
    macro_note = "" if n_present == k else f"mean over the {n_present} of {k} classes present"
    averages = pd.DataFrame(
        {
            "class": [MACRO, WEIGHTED],
            "support": [support.sum(), support.sum()],
            **{m: [macro[i], weighted[i]] for i, m in enumerate(METRICS)},
            "note": [macro_note, ""],
        }
    )
    return pd.concat([table, averages], ignore_index=True)


def confusion_matrices(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Counts (true class in rows) and the row-normalised matrix (NaN rows for absent classes)."""
    counts = confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))
    rows = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = np.where(rows > 0, counts / rows, np.nan)
    return counts, normalised


#: One curve per class (x, y), None where the class cannot have one.
Curves = list[tuple[np.ndarray, np.ndarray] | None]


def _one_vs_rest_curves(
    y_true: np.ndarray, y_score: np.ndarray, curve: Callable, needs_negatives: bool
) -> Curves:
    """`curve(positives, scores)` -> (x, y) per class; None for a class without positives (or,
    where `needs_negatives`, without negatives)."""
    curves: Curves = []
    for c in range(y_score.shape[1]):
        positives = y_true == c
        if not positives.any() or (needs_negatives and positives.all()):
            curves.append(None)
        else:
            curves.append(curve(positives, y_score[:, c]))
    return curves


def roc_curves(y_true: np.ndarray, y_score: np.ndarray) -> Curves:
    """One-vs-rest ROC curve (fpr, tpr) per class; None where a class is absent or alone."""
    return _one_vs_rest_curves(
        y_true, y_score, lambda y, score: tuple(roc_curve(y, score)[:2]), needs_negatives=True
    )


def pr_curves(y_true: np.ndarray, y_score: np.ndarray) -> Curves:
    """One-vs-rest precision-recall curve (recall, precision) per class; None if absent."""
    return _one_vs_rest_curves(
        y_true,
        y_score,
        lambda y, score: tuple(precision_recall_curve(y, score)[1::-1]),
        needs_negatives=False,
    )


def read_metrics_table(path: str | Path) -> pd.DataFrame:
    """A metrics table as written by the evaluation (:func:`classification_table` rows)."""
    return read_table(path, text_columns=("class",), required=("class", "support", *METRICS))


def read_paper_table(path: str | Path) -> pd.DataFrame:
    """Read a reference table of the paper (TSV, ``#`` comment lines, ``class`` + metric columns).

    Empty cells (values the paper does not report) become NaN.
    """
    try:
        table = pd.read_csv(
            path,
            sep="\t",
            comment="#",
            dtype={"class": str},
            keep_default_na=False,  # a class called "NA" stays a class; empty cells are NaN
            na_values=["", "NaN"],
        )
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"paper table {path}: cannot read it ({error})") from error
    if "class" not in table.columns:
        raise InputError(f"paper table {path}: no 'class' column (columns: {list(table.columns)})")
    unknown = [c for c in table.columns if c not in ("class", *METRICS)]
    if unknown:
        raise InputError(
            f"paper table {path}: unknown column(s) {unknown}; allowed: class, {', '.join(METRICS)}"
        )
    if table["class"].duplicated().any():
        raise InputError(f"paper table {path}: duplicate class rows")
    for metric in METRICS:
        if metric not in table.columns:
            table[metric] = np.nan
        table[metric] = pd.to_numeric(table[metric], errors="raise")
    return table[["class", *METRICS]]


def compare_with_paper(ours: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Our metrics, the paper's and ours minus the paper's, for every row of our table.

    Rows follow ``ours`` (classes, macro avg, weighted avg); columns are ``class`` then
    ``<metric>_ours``, ``<metric>_paper``, ``<metric>_difference`` per metric. Values the paper
    does not report are NaN, and so are their differences.
    """
    missing = [m for m in ("class", *METRICS) if m not in ours.columns]
    if missing:
        raise InputError(f"metrics table lacks column(s) {missing}")
    unmatched = sorted(set(paper["class"]) - set(ours["class"]))
    if unmatched:
        logger.warning(
            "paper rows %s match no class of ours (%s): check the class names of the task",
            unmatched,
            list(ours["class"]),
        )
    reference = paper.set_index("class").reindex(ours["class"])
    columns: dict[str, object] = {"class": ours["class"].to_numpy()}
    for metric in METRICS:
        mine = ours[metric].to_numpy(dtype=np.float64)
        theirs = reference[metric].to_numpy(dtype=np.float64)
        columns[f"{metric}_ours"] = mine
        columns[f"{metric}_paper"] = theirs
        columns[f"{metric}_difference"] = mine - theirs
    return pd.DataFrame(columns)


#: How the figures name the per-epoch metrics of a training history (ecgbeats.artifacts).
HISTORY_LABELS: dict[str, str] = {"loss": "loss", "accuracy": "accuracy", "macro_f1": "macro F1"}


def training_history_series(
    history: pd.DataFrame, source: str = "history"
) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]], int | None]:
    """Epochs, {metric label: (train, validation)} and the best epoch of a training history
    (as read by ecgbeats.artifacts.read_history).

    The best epoch is the one whose weights training keeps (ecgbeats.training): the highest
    validation macro-F1, ties broken by the lower validation loss, then by the earlier epoch.
    None when no epoch has a validation macro-F1 (e.g. an empty validation part).
    """
    check_history(history, f"training history {source}")
    epoch = history["epoch"].to_numpy()
    series = {
        HISTORY_LABELS[metric]: tuple(
            history[f"{part}_{metric}"].to_numpy(dtype=np.float64) for part in HISTORY_PARTS
        )
        for metric in HISTORY_METRICS
    }
    f1 = np.nan_to_num(series["macro F1"][1], nan=-np.inf)
    loss = np.nan_to_num(series["loss"][1], nan=np.inf)
    if np.isneginf(f1).all():
        return epoch, series, None
    # max() keeps the first of equal keys: the earlier epoch, as training does.
    best = max(range(len(epoch)), key=lambda i: (f1[i], -loss[i]))
    return epoch, series, int(epoch[best])


#: Columns of the AAMI EC57 table: per class sensitivity (Se), positive predictivity (+P),
#: false positive rate and F1, from the confusion matrix; the gross row holds the accuracy.
EC57_COLUMNS = ("source", "class", "support", "se", "ppv", "fpr", "f1", "accuracy")


def ec57_table(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str], source: str
) -> pd.DataFrame:
    """AAMI EC57 statistics of one classifier: per class Se = TP / (TP + FN), +P = TP / (TP +
    FP), FPR = FP / (FP + TN), F1, then a ``gross`` row with the accuracy (correct / all).

    Undefined ratios (no beat of the class, no prediction of it) are NaN, never 0.
    """
    k = len(class_names)
    counts, _ = confusion_matrices(np.asarray(y_true), np.asarray(y_pred), k)
    total = counts.sum()
    tp = np.diag(counts).astype(float)
    fn = counts.sum(axis=1) - tp
    fp = counts.sum(axis=0) - tp
    tn = total - tp - fn - fp

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)

    se, ppv = ratio(tp, tp + fn), ratio(tp, tp + fp)
    rows = [
        {
            "source": source,
            "class": str(name),
            "support": int(tp[c] + fn[c]),
            "se": se[c],
            "ppv": ppv[c],
            "fpr": ratio(fp, fp + tn)[c],
            "f1": ratio(2 * se * ppv, se + ppv)[c] if np.isfinite(se[c] * ppv[c]) else np.nan,
            "accuracy": np.nan,
        }
        for c, name in enumerate(class_names)
    ]
    accuracy = float(tp.sum() / total) if total else np.nan
    rows.append(
        {
            **dict.fromkeys(EC57_COLUMNS, np.nan),
            "source": source,
            "class": "gross",
            "support": int(total),
            "accuracy": accuracy,
        }
    )
    return pd.DataFrame(rows, columns=list(EC57_COLUMNS))


def published_ec57(published: pd.DataFrame) -> pd.DataFrame:
    """Published results (workflow/resources/published_ds2.tsv) in the EC57 table's columns:
    F1 as reported, else derived from Se and +P; the overall accuracy on a ``gross`` row."""
    table = published.copy()
    table["f1"] = table["f1"].fillna(table["f1_derived"])
    table["class"] = table["class"].replace({"all": "gross"})
    table["support"] = np.nan
    return table[list(EC57_COLUMNS)]
