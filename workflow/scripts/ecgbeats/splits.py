"""Train / validation / test splits of a beat dataset, as int64 index arrays into it.

* ``intra`` (Wang et al. 2024): stratified random split over beats; beats of one patient land in
  every part, which is what the paper does and why its scores are optimistic.
* ``inter`` (de Chazal et al. 2004): DS1 records train, DS2 records test, paced records
  excluded, so no patient is in two parts.

The validation part is always carved out of the training part (stratified over beats for
``intra``; for ``inter`` whole records, picked so that each class's share comes close to the
validation fraction) and is what model selection looks at; the test part is
used once, by the evaluation.

Every class must have beats in the train and test parts (else InputError naming the class and
records). For ``inter`` a class may be absent from the validation records, because some rare
classes live in one or two DS1 records that training cannot spare; the split then keeps them in
training and reports the class in ``Split.missing_in_validation`` (the stage logs a warning,
and validation macro-F1 averages over the classes present in validation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import train_test_split

from ecgbeats.errors import InputError

PARTS = ("train", "validation", "test")


@dataclass(frozen=True)
class Split:
    """Index arrays (int64, sorted) into the dataset, and classes absent from validation.

    `excluded_classes` (inter only) are classes whose every beat lies in records the split leaves
    out, such as paced beats: they have no beats in any part and are reported, not trained.
    """

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    missing_in_validation: tuple[str, ...] = field(default=())
    excluded_classes: tuple[str, ...] = field(default=())

    def parts(self) -> dict[str, np.ndarray]:
        return {"train": self.train, "validation": self.validation, "test": self.test}


def _check_fraction(value: float, what: str) -> None:
    if not 0.0 < value < 1.0:
        raise InputError(f"the {what} must be between 0 and 1 (exclusive), got {value}")


@dataclass(frozen=True)
class IntraSplitOptions:
    """Intra-patient split: share of all beats tested, share of the rest held out for
    validation, and the seed of the stratified random split."""

    test_fraction: float
    validation_fraction: float
    seed: int

    def __post_init__(self) -> None:
        _check_fraction(self.test_fraction, "test fraction of the intra-patient split")
        _check_fraction(self.validation_fraction, "validation fraction of the intra-patient split")


@dataclass(frozen=True)
class InterSplitOptions:
    """Inter-patient split: the training, test and left-out records, the share of the training
    records' beats held out (as whole records) for validation, and the seed of that choice."""

    validation_fraction: float
    seed: int
    train_records: tuple[str, ...]
    test_records: tuple[str, ...]
    excluded_records: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("train_records", "test_records", "excluded_records"):
            object.__setattr__(self, name, tuple(str(r) for r in getattr(self, name)))
        _check_fraction(self.validation_fraction, "validation fraction of the inter-patient split")


#: The options class of each split scheme.
SPLIT_OPTIONS: dict[str, type[IntraSplitOptions] | type[InterSplitOptions]] = {
    "intra": IntraSplitOptions,
    "inter": InterSplitOptions,
}


def _check_labels(labels: np.ndarray, class_names: list[str]) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise InputError(f"labels outside 0..{len(class_names) - 1} for classes {class_names}")
    return labels.astype(np.int64, copy=False)


def _require_classes(
    labels: np.ndarray, index: np.ndarray, class_names: list[str | None], part: str, where: str
) -> None:
    """Fail naming the classes without beats in a part (classes given as None are not checked)."""
    present = np.bincount(labels[index], minlength=len(class_names))
    empty = [class_names[i] for i in np.flatnonzero(present == 0) if class_names[i] is not None]
    if empty:
        raise InputError(
            f"class(es) {', '.join(empty)} have no beats in the {part} part ({where}); "
            "drop them from the task's class map or change the split"
        )


def intra_patient_split(
    labels: np.ndarray, class_names: list[str], options: IntraSplitOptions
) -> Split:
    """Stratified random split over beats; validation is a stratified part of training."""
    labels = _check_labels(labels, class_names)
    counts = np.bincount(labels, minlength=len(class_names))
    # Each part needs one beat of each class; sklearn's stratification needs two per split.
    too_few = [f"{class_names[i]} ({counts[i]})" for i in np.flatnonzero(counts < 3)]
    if too_few:
        raise InputError(
            f"class(es) {', '.join(too_few)} have fewer than 3 beats in the chosen records, too "
            "few for a train/validation/test split; add records or drop the class from the task"
        )
    index = np.arange(labels.size, dtype=np.int64)
    try:
        rest, test = train_test_split(
            index, test_size=options.test_fraction, stratify=labels, random_state=options.seed
        )
        train, validation = train_test_split(
            rest,
            test_size=options.validation_fraction,
            stratify=labels[rest],
            random_state=options.seed + 1,
        )
    except ValueError as error:
        raise InputError(
            f"stratified split impossible with class counts {counts}: {error}"
        ) from error
    split = Split(np.sort(train), np.sort(validation), np.sort(test))
    for part, idx in split.parts().items():
        _require_classes(labels, idx, class_names, part, "intra-patient split")
    return split


def _choose_validation_records(
    train_records: list[str],
    per_record: np.ndarray,
    fraction: float,
    rng: np.random.Generator,
    candidates: int,
) -> list[int]:
    """Positions of validation records, stratified as far as whole records allow.

    Among `candidates` random record sets holding about `fraction` of the beats, keep the one
    whose per-class shares come closest to `fraction` (mean absolute deviation over classes,
    plus the deviation of the overall share), among those that leave every class in training.
    """
    n = len(train_records)
    class_totals = per_record.sum(axis=0)
    beat_counts = per_record.sum(axis=1)
    total = beat_counts.sum()
    best: tuple[float, list[int]] | None = None
    for _ in range(candidates):
        order = rng.permutation(n)
        k = int(np.searchsorted(np.cumsum(beat_counts[order]), fraction * total)) + 1
        chosen = order[: min(max(k, 1), n - 1)]
        taken = per_record[chosen].sum(axis=0)
        if ((taken >= class_totals) & (class_totals > 0)).any():
            continue  # a class would vanish from training
        shares = taken[class_totals > 0] / class_totals[class_totals > 0]
        deviation = np.abs(shares - fraction).mean() + abs(taken.sum() / total - fraction)
        if best is None or deviation < best[0]:
            best = (float(deviation), sorted(chosen.tolist()))
    if best is None:
        raise InputError(
            "no set of validation records leaves every class in training (records "
            f"{', '.join(train_records)}); lower the validation fraction of the inter-patient "
            "split or add training records"
        )
    return best[1]


def inter_patient_split(
    labels: np.ndarray,
    records: np.ndarray,
    class_names: list[str],
    options: InterSplitOptions,
    candidates: int = 500,
) -> Split:
    """Split by record: train (minus validation records) / test; beats of other records unused."""
    labels = _check_labels(labels, class_names)
    records = np.asarray(records).astype(str)
    if records.shape != labels.shape:
        raise InputError(f"records {records.shape} and labels {labels.shape} differ in length")
    train_set = set(options.train_records) - set(options.excluded_records)
    test_set = set(options.test_records) - set(options.excluded_records)
    overlap = sorted(train_set & test_set)
    if overlap:
        raise InputError(
            f"record(s) {', '.join(overlap)} are both training and test records of the "
            "inter-patient split"
        )
    present = sorted(set(records.tolist()))
    train_use = [r for r in present if r in train_set]
    test_use = [r for r in present if r in test_set]
    if len(train_use) < 2:
        raise InputError(
            "the inter-patient split needs at least 2 of its training records among the "
            f"dataset's records, found {train_use}; use more of the training records"
        )
    if not test_use:
        raise InputError(
            "none of the inter-patient split's test records is among the dataset's records; "
            "use some of them"
        )
    test = np.flatnonzero(np.isin(records, test_use)).astype(np.int64)
    in_train = np.isin(records, train_use)
    # A class found only in records the split leaves out (paced beats in the paced records)
    # goes with them; a class found in the used records must be in both train and test.
    used = np.bincount(labels[in_train | np.isin(records, test_use)], minlength=len(class_names))
    excluded = tuple(name for name, count in zip(class_names, used, strict=True) if count == 0)
    kept_names = [name if name not in excluded else None for name in class_names]
    _require_classes(labels, test, kept_names, "test", f"records {', '.join(test_use)}")
    _require_classes(
        labels, np.flatnonzero(in_train), kept_names, "train", f"records {', '.join(train_use)}"
    )

    k = len(class_names)
    position = {r: i for i, r in enumerate(train_use)}
    rec_pos = np.array([position.get(r, -1) for r in records.tolist()], dtype=np.int64)
    mask = rec_pos >= 0
    per_record = np.zeros((len(train_use), k), dtype=np.int64)
    np.add.at(per_record, (rec_pos[mask], labels[mask]), 1)
    chosen = _choose_validation_records(
        train_use,
        per_record,
        options.validation_fraction,
        np.random.default_rng(options.seed),
        candidates,
    )
    validation_records = [train_use[i] for i in chosen]
    is_val = np.isin(records, validation_records)
    validation = np.flatnonzero(is_val).astype(np.int64)
    train = np.flatnonzero(in_train & ~is_val).astype(np.int64)
    missing = (per_record[chosen].sum(axis=0) == 0) & (used > 0)
    return Split(
        train,
        validation,
        test,
        tuple(class_names[i] for i in np.flatnonzero(missing)),
        excluded,
    )


def split_records(records: np.ndarray, split: Split) -> dict[str, list[str]]:
    """Sorted record ids of each part."""
    records = np.asarray(records).astype(str)
    return {part: sorted(set(records[idx].tolist())) for part, idx in split.parts().items()}


def class_count_table(
    labels: np.ndarray, split: Split, class_names: list[str]
) -> dict[str, np.ndarray]:
    """Beats per class (rows in `class_names` order) of each part, plus the total."""
    labels = np.asarray(labels)
    table = {
        part: np.bincount(labels[idx], minlength=len(class_names)).astype(np.int64)
        for part, idx in split.parts().items()
    }
    table["total"] = sum(table.values())
    return table
