"""ecgbeats.prematurity: the timing ratios, the fitted decision and how it shares probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats.errors import InputError
from ecgbeats.prematurity import (
    RATIOS,
    TIMING_INPUTS,
    FibrillationGate,
    PrematurityModel,
    decide,
    fibrillation_probability,
    fit_fibrillation_gate,
    fit_prematurity,
    gate_premature,
    premature_probability,
    timing_ratios,
)
from ecgbeats.rhythm import RR_FEATURES, rr_features

FS = 360.0


def test_ratios_are_log_ratios_of_the_named_columns() -> None:
    row = {"previous": 0.5, "next": 1.1, "local": 0.8, "record": 1.0}
    expected = np.log([0.5 / 0.8, 1.1 / 0.5, 0.8 / 1.0])
    assert list(RATIOS) == ["previous_to_local", "next_to_previous", "local_to_record"]
    for names in (TIMING_INPUTS, ("record", "extra", "local", "next", "previous")):
        values = np.array([[row.get(name, 7.0) for name in names]])
        np.testing.assert_allclose(timing_ratios(values, names), [expected])


def test_ratios_need_the_four_intervals_and_matching_columns() -> None:
    with pytest.raises(InputError, match=r"needs the RR features .*local, record missing"):
        timing_ratios(np.ones((2, 2)), ("previous", "next"))
    with pytest.raises(InputError, match=r"shaped \(n, 4\)"):
        timing_ratios(np.ones((2, 3)), TIMING_INPUTS)


def premature_rhythm(n_cycles: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """R peaks of a sinus rhythm of about 0.8 s in which every fifth beat comes 0.3 s early and
    is followed by a compensatory pause; labels 1 for these beats, 0 for the others."""
    rng = np.random.default_rng(seed)
    intervals, labels = [], []
    for _ in range(n_cycles):
        intervals += list(0.8 + rng.normal(0, 0.02, 4)) + [0.5, 1.1]
        labels += [0, 0, 0, 0, 1, 0]
    samples = np.round(np.cumsum([1.0, *intervals]) * FS).astype(np.int64)
    return samples, np.array([0, *labels])


def test_a_premature_rhythm_is_learnt_from_the_rr_features() -> None:
    # Through the one code path of the RR features (ecgbeats.rhythm.rr_features).
    samples, labels = premature_rhythm()
    features = rr_features(samples, FS)
    decision = fit_prematurity(features, RR_FEATURES, labels, 0, 1, None)
    coefficients = dict(zip(RATIOS, decision.coefficients, strict=True))
    assert coefficients["previous_to_local"] < 0  # early relative to the current rate
    assert coefficients["next_to_previous"] > 0  # the pause after it
    probability = premature_probability(decision, features, RR_FEATURES)
    assert probability[labels == 1].min() > 0.9
    assert probability[labels == 0].max() < 0.5
    # Another recording of the same rhythm at another rate is told the same way (ratios).
    other, other_labels = premature_rhythm(seed=3)
    slower = rr_features(np.round(other * 1.25).astype(np.int64), FS)
    decided = premature_probability(decision, slower, RR_FEATURES) > 0.5
    np.testing.assert_array_equal(decided, other_labels == 1)


def test_beats_of_other_classes_do_not_change_the_fit() -> None:
    samples, labels = premature_rhythm()
    features = rr_features(samples, FS)
    alone = fit_prematurity(features, RR_FEATURES, labels, 0, 1, None)
    rng = np.random.default_rng(5)
    extra = rng.uniform(0.3, 2.0, (50, len(RR_FEATURES))).astype(np.float32)
    with_others = fit_prematurity(
        np.vstack([features, extra]), RR_FEATURES, np.r_[labels, np.full(50, 2)], 0, 1, None
    )
    assert with_others == alone


def test_fit_needs_beats_of_both_classes() -> None:
    features = np.ones((5, len(RR_FEATURES)))
    with pytest.raises(InputError, match=r"at least 2 training beats .*\{0: 4, 1: 1\}"):
        fit_prematurity(features, RR_FEATURES, np.array([0, 0, 0, 0, 1]), 0, 1, None)
    with pytest.raises(InputError, match="4 labels for 5 beats"):
        fit_prematurity(features, RR_FEATURES, np.array([0, 0, 1, 1]), 0, 1, None)


def test_decide_shares_the_conducted_probability_and_keeps_the_rest() -> None:
    decision = PrematurityModel(normal=0, premature=2, coefficients=(-4, 2, 1), intercept=-1)
    rhythm = np.array([[0.8, 0.8, 0.8, 0.8], [0.5, 1.1, 0.8, 0.8], [0.4, 0.4, 0.4, 0.8]])
    probabilities = np.array([[0.6, 0.1, 0.2, 0.1], [0.1, 0.5, 0.1, 0.3], [0.3, 0.0, 0.7, 0.0]])
    decided = decide(decision, probabilities, rhythm, TIMING_INPUTS)
    premature = premature_probability(decision, rhythm, TIMING_INPUTS)
    conducted = probabilities[:, 0] + probabilities[:, 2]
    np.testing.assert_allclose(decided[:, 2], conducted * premature)
    np.testing.assert_allclose(decided[:, 0], conducted * (1 - premature))
    np.testing.assert_array_equal(decided[:, [1, 3]], probabilities[:, [1, 3]])
    np.testing.assert_allclose(decided.sum(axis=1), 1.0)
    # The logistic function of the weighted log ratios, written out for the second beat.
    ratios = np.log([0.5 / 0.8, 1.1 / 0.5, 1.0])
    score = ratios @ np.array([-4, 2, 1]) - 1
    assert premature[1] == pytest.approx(1 / (1 + np.exp(-score)))
    with pytest.raises(InputError, match="lack the decision's classes 0 and 2"):
        decide(decision, probabilities[:, :2], rhythm, TIMING_INPUTS)
    with pytest.raises(InputError, match="3 rows of probabilities but 2 of RR features"):
        decide(decision, probabilities, rhythm[:2], TIMING_INPUTS)


def test_model_round_trip_and_checks() -> None:
    decision = PrematurityModel(1, 3, (0.5, -1.0, 2.0), 0.25)
    assert PrematurityModel.from_dict(decision.to_dict()) == decision
    gated = PrematurityModel(1, 3, (0.5, -1.0, 2.0), 0.25, FibrillationGate((3.0,), 6.5))
    assert PrematurityModel.from_dict(gated.to_dict()) == gated
    two = FibrillationGate((3.0, -4.0), 6.5, ("irregularity", "p_wave_regularity"))
    assert FibrillationGate.from_dict(two.to_dict()) == two
    # A checkpoint written before the gate took several inputs: one coefficient, irregularity.
    old = {**gated.to_dict(), "fibrillation": {"coefficient": 3.0, "intercept": 6.5}}
    assert PrematurityModel.from_dict(old) == gated
    with pytest.raises(InputError, match=r"inputs \['heart_rate'\]: one or more of"):
        FibrillationGate((1.0,), 0.0, ("heart_rate",))
    with pytest.raises(InputError, match="1 coefficients for 2 inputs"):
        FibrillationGate((1.0,), 0.0, ("irregularity", "p_wave_regularity"))
    assert decision.to_dict()["fibrillation"] is None
    with pytest.raises(InputError, match="4 coefficients for 3 ratios"):
        PrematurityModel(0, 1, (1.0, 2.0, 3.0, 4.0), 0.0)
    with pytest.raises(InputError, match="must be finite"):
        PrematurityModel(0, 1, (1.0, 2.0, np.nan), 0.0)
    with pytest.raises(InputError, match="two different class indices, got 2 and 2"):
        PrematurityModel(2, 2, (0.0,) * 3, 0.0)
    with pytest.raises(InputError, match="invalid stored values"):
        PrematurityModel.from_dict({"normal": 0, "premature": 1})


def test_fibrillation_gate_moves_premature_probability_to_normal_in_fibrillation() -> None:
    rng = np.random.default_rng(0)
    # Sinus rhythm changes by a few per cent from beat to beat, fibrillation by tens of per cent.
    irregularity = np.r_[rng.uniform(0.005, 0.05, 300), rng.uniform(0.15, 0.5, 100)]
    in_fibrillation = np.r_[np.zeros(300, bool), np.ones(100, bool)]
    features = irregularity[:, None]
    gate = fit_fibrillation_gate(features, ["irregularity"], in_fibrillation)
    assert gate.inputs == ("irregularity",) and gate.coefficients[0] > 0
    share = fibrillation_probability(gate, features, ["irregularity"])
    assert share[:300].max() < 0.5 < share[300:].min()
    # The score is the logistic function of the coefficient times the log irregularity.
    expected = 1 / (1 + np.exp(-(gate.coefficients[0] * np.log(irregularity) + gate.intercept)))
    np.testing.assert_allclose(share, expected)
    probabilities = np.array([[0.2, 0.6, 0.2], [0.1, 0.8, 0.1]])
    gated = gate_premature(probabilities, np.array([0.0, 0.75]), normal=0, premature=1)
    np.testing.assert_allclose(gated, [[0.2, 0.6, 0.2], [0.7, 0.2, 0.1]])
    with pytest.raises(InputError, match="1 fibrillation probabilities for 2 beats"):
        gate_premature(probabilities, np.array([0.5]), 0, 1)
    with pytest.raises(InputError, match=r"at least 2 beats of each kind.*'in fibrillation': 1"):
        fit_fibrillation_gate(features[299:301], ["irregularity"], in_fibrillation[299:301])
    with pytest.raises(InputError, match="400 beats for"):
        fit_fibrillation_gate(features, ["irregularity"], in_fibrillation[:5])
    with pytest.raises(InputError, match="needs the RR feature p_wave_regularity"):
        fit_fibrillation_gate(features, ["irregularity"], in_fibrillation, ["p_wave_regularity"])


def test_p_wave_regularity_keeps_irregular_rhythms_with_p_waves_out_of_the_gate() -> None:
    # Frequent premature beats make a rhythm as irregular as fibrillation, but its P waves stay
    # alike; irregularity alone cannot tell them apart, the two inputs together can.
    rng = np.random.default_rng(1)
    irregularity = np.r_[rng.uniform(0.005, 0.05, 200), rng.uniform(0.15, 0.5, 300)]
    regularity = np.r_[rng.uniform(0.8, 1.0, 300), rng.uniform(-0.2, 0.3, 200)]
    in_fibrillation = np.r_[np.zeros(300, bool), np.ones(200, bool)]
    names = ["irregularity", "p_wave_regularity"]
    features = np.stack([irregularity, regularity], axis=1)
    frequent_ectopy = slice(200, 300)  # irregular, with P waves
    alone = fit_fibrillation_gate(features, names, in_fibrillation)
    assert (fibrillation_probability(alone, features, names)[frequent_ectopy] > 0.5).mean() > 0.9
    both = fit_fibrillation_gate(features, names, in_fibrillation, names)
    share = fibrillation_probability(both, features, names)
    assert share[:300].max() < 0.5 < share[300:].min()
    assert both.coefficients[1] < 0  # alike P waves speak against fibrillation
    missing = features.copy()
    missing[3, 1] = np.nan  # RR features computed without the lead
    with pytest.raises(InputError, match="reads p_wave_regularity, which some beats lack"):
        fibrillation_probability(both, missing, names)


def test_a_decision_with_a_gate_is_fitted_and_applied_from_the_rr_features() -> None:
    # A premature rhythm (every sixth beat early) followed by fibrillation-like alternation.
    samples, labels = premature_rhythm(n_cycles=20)
    alternating = np.tile([0.5, 1.1], 40)
    tail = samples[-1] + np.round(np.cumsum(alternating) * FS).astype(np.int64)
    samples = np.r_[samples, tail]
    labels = np.r_[labels, np.zeros(tail.size, dtype=np.int64)]  # early, but normal (AF)
    in_fibrillation = np.r_[np.zeros(samples.size - tail.size, bool), np.ones(tail.size, bool)]
    features = rr_features(samples, FS)
    decision = fit_prematurity(features, RR_FEATURES, labels, 0, 1, in_fibrillation)
    assert decision.fibrillation is not None and decision.fibrillation.coefficients[0] > 0
    probabilities = np.tile([[0.3, 0.5, 0.2]], (samples.size, 1))
    decided = decide(decision, probabilities, features, RR_FEATURES)
    premature = decided[:, 1] > decided[:, 0]
    sinus = ~in_fibrillation
    # Away from the change of rhythm (the irregularity's window reaches 15 changes across it).
    np.testing.assert_array_equal(premature[sinus][:80], labels[sinus][:80] == 1)
    assert not premature[in_fibrillation][20:].any()
    np.testing.assert_allclose(decided[:, 2], 0.2)
    np.testing.assert_allclose(decided.sum(axis=1), 1.0)
    without = decide(
        PrematurityModel(0, 1, decision.coefficients, decision.intercept),
        probabilities,
        features,
        RR_FEATURES,
    )
    assert without[in_fibrillation][:, 1].max() > decided[in_fibrillation][:, 1].max()
    with pytest.raises(InputError, match="needs the RR feature irregularity"):
        decide(decision, probabilities[:, :3], features[:, :4], TIMING_INPUTS)
