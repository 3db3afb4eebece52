"""Balancing of the training part: SMOTE, random over-sampling, class weights, errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from ecgbeats.balancing import BalanceOptions, balance
from ecgbeats.errors import InputError
from ecgbeats.splits import IntraSplitOptions, intra_patient_split

NAMES = ["N", "S", "V"]


def options(
    method: str = "smote",
    sampling_strategy: str | dict[str, int] = "auto",
    k_neighbors: int = 5,
    seed: int = 0,
) -> BalanceOptions:
    return BalanceOptions(
        method=method, sampling_strategy=sampling_strategy, k_neighbors=k_neighbors, seed=seed
    )


def dataset(counts: tuple[int, ...] = (120, 30, 12), seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(counts)), counts)
    beats = (rng.standard_normal((labels.size, 300)) + labels[:, None]).astype(np.float32)
    return beats, labels


def test_smote_raises_every_class_to_the_majority_and_keeps_originals_first() -> None:
    beats, labels = dataset()
    result = balance(beats, labels, NAMES, options("smote", seed=1))
    np.testing.assert_array_equal(np.bincount(result.labels), [120, 120, 120])
    np.testing.assert_array_equal(result.beats[: labels.size], beats)
    np.testing.assert_array_equal(result.labels[: labels.size], labels)
    assert result.is_synthetic.sum() == result.labels.size - labels.size
    assert result.beats.dtype == np.float32 and result.k_neighbors == 5
    again = balance(beats, labels, NAMES, options("smote", seed=1))
    np.testing.assert_array_equal(result.beats, again.beats)


def test_smote_touches_only_the_training_part() -> None:
    beats, labels = dataset((300, 60, 30))
    split = intra_patient_split(labels, NAMES, IntraSplitOptions(0.3, 0.1, seed=0))
    held_out = np.concatenate([split.validation, split.test])
    before = beats.copy()
    result = balance(beats[split.train], labels[split.train], NAMES, options())
    np.testing.assert_array_equal(beats, before)  # dataset (validation/test beats) unchanged
    synthetic = result.beats[result.is_synthetic]
    assert synthetic.shape[0] > 0
    # Every synthetic beat lies on a segment between two training beats of its class, hence is
    # no validation or test beat; and each one is closest to a training beat.
    distance_held = np.min(
        np.linalg.norm(synthetic[:, None] - beats[held_out][None], axis=2), axis=1
    )
    distance_train = np.min(
        np.linalg.norm(synthetic[:, None] - beats[split.train][None], axis=2), axis=1
    )
    assert (distance_train < distance_held).all()
    assert (
        np.bincount(result.labels[~result.is_synthetic]).tolist()
        == np.bincount(labels[split.train]).tolist()
    )


def test_small_class_lowers_k_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    beats, labels = dataset((60, 20, 3))
    with caplog.at_level(logging.WARNING, logger="ecgbeats.balancing"):
        result = balance(beats, labels, NAMES, options(k_neighbors=5))
    assert result.k_neighbors == 2
    assert "class V has only 3 training beats" in caplog.text
    np.testing.assert_array_equal(np.bincount(result.labels), [60, 60, 60])


def test_single_sample_class_fails_naming_it() -> None:
    beats, labels = dataset((60, 20, 1))
    with pytest.raises(InputError, match="class V has a single training beat"):
        balance(beats, labels, NAMES, options())


def test_random_class_weight_and_none() -> None:
    beats, labels = dataset()
    rand = balance(beats, labels, NAMES, options("random"))
    np.testing.assert_array_equal(np.bincount(rand.labels), [120, 120, 120])
    # Random over-sampling only repeats existing beats.
    originals = {b.tobytes() for b in beats}
    assert all(b.tobytes() in originals for b in rand.beats)
    weighted = balance(beats, labels, NAMES, options("class_weight"))
    assert weighted.beats is beats and weighted.class_weights is not None
    np.testing.assert_allclose(weighted.class_weights, labels.size / (3 * np.array([120, 30, 12])))
    plain = balance(beats, labels, NAMES, options("none"))
    assert plain.class_weights is None and plain.labels.size == labels.size


def test_class_weight_power_tempers_the_inverse_frequencies() -> None:
    beats, labels = dataset()
    balanced = compute_class_weight("balanced", classes=np.arange(3), y=labels)

    def weights(power: float) -> np.ndarray:
        options = BalanceOptions("class_weight", "auto", 5, 0, power)
        return balance(beats, labels, NAMES, options).class_weights

    # Left out (1): exactly the weights of before the power existed (trained runs stay valid).
    np.testing.assert_array_equal(weights(1.0), balanced.astype(np.float32))
    # 0.5: the rarest class (12 beats) weighs sqrt(10) times the commonest (120), not 10 times.
    np.testing.assert_allclose(weights(0.5), np.sqrt(balanced), rtol=1e-6)
    np.testing.assert_array_equal(weights(0.0), np.ones(3))
    for power in (-0.5, 1.5):
        with pytest.raises(InputError, match=rf"class_weight_power must lie in \[0, 1\].*{power}"):
            BalanceOptions("class_weight", "auto", 5, 0, power)
    with pytest.raises(InputError, match="class_weight_power 0.5 is only for method class_weight"):
        BalanceOptions("smote", "auto", 5, 0, 0.5)


def test_sampling_strategy_mapping_and_errors() -> None:
    beats, labels = dataset()
    result = balance(beats, labels, NAMES, options(sampling_strategy={"V": 50}))
    np.testing.assert_array_equal(np.bincount(result.labels), [120, 30, 50])
    with pytest.raises(InputError, match="unknown class 'X'"):
        balance(beats, labels, NAMES, options(sampling_strategy={"X": 50}))
    with pytest.raises(InputError, match="target 10 for class V is below its 12"):
        balance(beats, labels, NAMES, options(sampling_strategy={"V": 10}))
    with pytest.raises(InputError, match="unknown balancing sampling strategy 'most'"):
        balance(beats, labels, NAMES, options(sampling_strategy="most"))
    with pytest.raises(InputError, match="unknown balancing method 'adasyn'"):
        options("adasyn")
