"""Class balancing of the training part only (never validation or test).

Methods: ``smote`` (the paper: synthetic beats interpolated between same-class neighbours),
``random`` (duplicate beats at random), ``class_weight`` (no new beats; weights for the
cross-entropy loss) and ``none``. Resampled outputs keep the original beats first, in order,
followed by the new ones (``is_synthetic`` marks them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.utils.class_weight import compute_class_weight

from ecgbeats.errors import InputError

logger = logging.getLogger(__name__)

METHODS = ("smote", "random", "class_weight", "none")
STRATEGIES = ("auto", "not majority", "minority", "all")


@dataclass(frozen=True)
class BalanceOptions:
    """How the training part is balanced: `method` (one of METHODS), imbalanced-learn's
    `sampling_strategy` (a keyword of STRATEGIES or class name -> target beat count), SMOTE's
    `k_neighbors`, the `seed` of the random draws, and for method class_weight the power
    `class_weight_power` of the inverse class frequencies (1: "balanced"; 0.5 tempers them, so a
    class of a hundred beats weighs ten times a class of ten thousand, not a hundred times)."""

    method: str
    sampling_strategy: str | Mapping[str, int]
    k_neighbors: int
    seed: int
    class_weight_power: float = 1.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unknown balancing method {self.method!r} ({', '.join(METHODS)})")
        if self.k_neighbors < 1:
            raise InputError(f"SMOTE needs k_neighbors >= 1, got {self.k_neighbors}")
        if not 0.0 <= self.class_weight_power <= 1.0:
            raise InputError(
                f"class_weight_power must lie in [0, 1] (0: equal weights, 1: balanced), got "
                f"{self.class_weight_power}"
            )
        if self.class_weight_power != 1.0 and self.method != "class_weight":
            raise InputError(
                f"class_weight_power {self.class_weight_power} is only for method class_weight, "
                f"not {self.method}"
            )


@dataclass(frozen=True)
class Balanced:
    """Training beats after balancing; `class_weights` (k,) only for method class_weight."""

    beats: np.ndarray
    labels: np.ndarray
    is_synthetic: np.ndarray
    class_weights: np.ndarray | None = None
    k_neighbors: int | None = None


def _strategy(
    sampling_strategy: str | Mapping[str, int], class_names: list[str], counts: np.ndarray
) -> str | dict[int, int]:
    """imbalanced-learn's sampling_strategy: a keyword, or {label: target count} from names."""
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in STRATEGIES:
            raise InputError(
                f"unknown balancing sampling strategy {sampling_strategy!r} (one of "
                f"{', '.join(STRATEGIES)}, or a mapping of class name to target beat count)"
            )
        return sampling_strategy
    targets: dict[int, int] = {}
    for name, target in sampling_strategy.items():
        if name not in class_names:
            raise InputError(
                f"balancing targets: unknown class {name!r} (classes: {', '.join(class_names)})"
            )
        label = class_names.index(name)
        if int(target) < counts[label]:
            raise InputError(
                f"balancing target {target} for class {name} is below its {counts[label]} "
                "training beats (over-sampling cannot remove beats)"
            )
        targets[label] = int(target)
    return targets


def _oversampled_labels(strategy: str | dict[int, int], counts: np.ndarray) -> list[int]:
    """Labels that will receive new beats (mirrors imbalanced-learn's keyword meanings)."""
    present = [i for i in range(counts.size) if counts[i] > 0]
    majority = max(present, key=lambda i: counts[i])
    if isinstance(strategy, dict):
        return [i for i, t in strategy.items() if t > counts[i]]
    if strategy == "minority":
        minority = min(present, key=lambda i: counts[i])
        return [minority] if counts[minority] < counts[majority] else []
    # "auto", "not majority" and "all" all raise every class to the majority count.
    return [i for i in present if counts[i] < counts[majority]]


def balance(
    beats: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    options: BalanceOptions,
    excluded_classes: tuple[str, ...] = (),
) -> Balanced:
    """Balance the training beats (n, L) as `options` say; see the module docstring.

    `excluded_classes` may have no training beats (the split left their records out); every other
    class must have some.
    """
    beats = np.asarray(beats)
    labels = np.asarray(labels).astype(np.int64, copy=False)
    if beats.ndim != 2 or beats.shape[0] != labels.shape[0]:
        raise InputError(f"beats {beats.shape} and labels {labels.shape} do not match")
    method, seed = options.method, options.seed
    counts = np.bincount(labels, minlength=len(class_names))
    absent = [
        class_names[i]
        for i in np.flatnonzero(counts == 0)
        if class_names[i] not in excluded_classes
    ]
    if absent:
        raise InputError(f"class(es) {', '.join(absent)} have no training beats to balance")
    original = np.zeros(labels.size, dtype=bool)

    if method == "none":
        return Balanced(beats, labels, original)
    if method == "class_weight":
        present = np.flatnonzero(counts > 0)
        weights = np.ones(len(class_names), dtype=np.float32)  # absent classes: never a target
        inverse = compute_class_weight("balanced", classes=present, y=labels)
        weights[present] = inverse**options.class_weight_power
        return Balanced(beats, labels, original, class_weights=weights)

    strategy = _strategy(options.sampling_strategy, class_names, counts)
    if method == "random":
        sampler = RandomOverSampler(sampling_strategy=strategy, random_state=seed)
        used_k = None
    else:
        targets = _oversampled_labels(strategy, counts)
        used_k = int(options.k_neighbors)
        if targets:
            smallest = min(targets, key=lambda i: counts[i])
            if counts[smallest] < 2:
                raise InputError(
                    f"class {class_names[smallest]} has a single training beat: SMOTE needs at "
                    "least two to interpolate; add records, drop the class, or balance with "
                    "the method random or class_weight"
                )
            if counts[smallest] <= used_k:
                used_k = int(counts[smallest]) - 1
                logger.warning(
                    "SMOTE: class %s has only %d training beats; k_neighbors lowered from %d to %d",
                    class_names[smallest],
                    counts[smallest],
                    options.k_neighbors,
                    used_k,
                )
        sampler = SMOTE(sampling_strategy=strategy, k_neighbors=used_k, random_state=seed)
    new_beats, new_labels = sampler.fit_resample(beats, labels)
    synthetic = np.zeros(new_labels.size, dtype=bool)
    synthetic[labels.size :] = True
    return Balanced(
        np.ascontiguousarray(new_beats, dtype=np.float32),
        new_labels.astype(np.int64),
        synthetic,
        k_neighbors=used_k,
    )
