"""RR features (ecgbeats.rhythm) on rhythms whose intervals are known."""

import numpy as np
import pytest

from ecgbeats.atrial import p_wave_regularity
from ecgbeats.errors import InputError
from ecgbeats.rhythm import (
    IRREGULARITY_HALF_WINDOW,
    LOCAL_INTERVALS,
    RR_FEATURES,
    rhythm_at,
    rr_features,
    select_rr_features,
    successive_irregularity,
)
from ecgbeats.synthetic import synthesize

FS = 360.0


def column(features: np.ndarray, name: str) -> np.ndarray:
    return features[:, RR_FEATURES.index(name)]


def test_a_premature_beat_has_a_short_previous_and_a_long_next_interval():
    symbols = ["N"] * 6 + ["A"] + ["N"] * 6 + ["V"] + ["N"] * 6
    _, peaks = synthesize(symbols, seed=3)
    features = rr_features(peaks, FS)
    ratio_previous = column(features, "previous_to_record")
    ratio_next = column(features, "next_to_record")
    for premature in (6, 13):
        assert ratio_previous[premature] < 0.8  # came early
        assert ratio_next[premature] > 1.2  # followed by the compensatory pause
        assert column(features, "next_to_previous")[premature] > 1.6
        others = np.delete(np.arange(len(symbols)), [6, 7, 13, 14])
        assert ratio_previous[premature] < ratio_previous[others].min()
    normal = [2, 3, 9, 17]
    np.testing.assert_allclose(ratio_previous[normal], 1.0, atol=0.1)


def test_features_are_exact_on_a_regular_rhythm_with_one_early_beat():
    samples = np.arange(0, 20 * 360, 360)  # 1 s intervals
    samples[10] -= 120  # beat 10 comes 1/3 s early
    features = rr_features(samples, FS)
    assert features.shape == (20, len(RR_FEATURES)) and features.dtype == np.float32
    np.testing.assert_allclose(column(features, "record"), 1.0)
    assert column(features, "previous")[10] == pytest.approx(2 / 3)
    assert column(features, "next")[10] == pytest.approx(4 / 3)
    assert column(features, "next_to_previous")[10] == pytest.approx(2.0)
    # The local mean around beat 10: five intervals before (one of them 2/3 s), five after
    # (one of them 4/3 s): still 1 s.
    assert column(features, "local")[10] == pytest.approx(1.0)
    # Ends: the missing interval is the record's own rate.
    assert column(features, "previous")[0] == pytest.approx(1.0)
    assert column(features, "next")[-1] == pytest.approx(1.0)
    # Everything but the P waves, which need the lead.
    assert np.isfinite(features[:, :-1]).all() and RR_FEATURES[-1] == "p_wave_regularity"
    assert np.isnan(column(features, "p_wave_regularity")).all()


def test_local_mean_follows_a_rate_change_and_record_uses_the_median():
    intervals = np.r_[np.full(30, 0.5), np.full(10, 1.0)]  # a fast stretch, then slower
    samples = np.r_[0, np.cumsum(np.round(intervals * FS))].astype(np.int64)
    features = rr_features(samples, FS)
    assert column(features, "record")[0] == pytest.approx(0.5)
    assert column(features, "local")[5] == pytest.approx(0.5)
    assert column(features, "local")[-2] == pytest.approx(1.0)
    assert column(features, "local_to_record")[-2] == pytest.approx(2.0)
    assert LOCAL_INTERVALS == 10


def test_gaps_are_clipped_and_short_records_still_get_features():
    features = rr_features(np.array([0, 360, 360 + 100 * 360]), FS)  # a 100 s gap
    assert column(features, "next")[1] == pytest.approx(3.0)
    one = rr_features(np.array([500]), FS)
    assert one.shape == (1, len(RR_FEATURES)) and np.isfinite(one[:, :-1]).all()
    assert rr_features(np.array([], dtype=np.int64), FS).shape == (0, len(RR_FEATURES))
    with pytest.raises(InputError, match="sorted"):
        rr_features(np.array([10, 5]), FS)
    with pytest.raises(InputError, match="sampling rate"):
        rr_features(np.array([10, 50]), 0.0)


def test_the_lead_gives_the_p_wave_regularity():
    signal, peaks = synthesize(["N", "N", "A"] * 10, seed=2)
    features = rr_features(peaks, FS, signal[:, 0])
    np.testing.assert_allclose(
        column(features, "p_wave_regularity"),
        p_wave_regularity(signal[:, 0], peaks, FS).astype(np.float32),
    )
    np.testing.assert_array_equal(features[:, :-1], rr_features(peaks, FS)[:, :-1])


def test_select_rr_features_by_name():
    features = rr_features(np.arange(0, 3600, 300), FS)
    chosen = select_rr_features(features, ["next_to_record", "previous"])
    np.testing.assert_array_equal(chosen[:, 1], column(features, "previous"))
    with pytest.raises(InputError, match="unknown RR feature"):
        select_rr_features(features, ["heart_rate"])
    with pytest.raises(InputError, match="shaped"):
        select_rr_features(features[:, :3], ["previous"])


def test_context_one_interval_further_and_the_irregularity_around_the_beat():
    samples = np.arange(0, 20 * 360, 360)  # 1 s intervals
    samples[10] -= 120  # beat 10 comes 1/3 s early
    features = rr_features(samples, FS)
    # The beat after the early one: its second previous interval is the early one's previous.
    assert column(features, "previous_2")[11] == pytest.approx(2 / 3)
    assert column(features, "next_2")[9] == pytest.approx(4 / 3)
    assert column(features, "previous_2")[1] == pytest.approx(1.0)  # the record's rate
    # Around the early beat itself, without its own two intervals, the rhythm is regular.
    assert column(features, "local_irregularity")[10] == pytest.approx(0.0, abs=1e-6)
    assert column(features, "local_irregularity")[7] > 0.1  # its window holds the early beat
    # An irregular rhythm (atrial fibrillation-like) is irregular around every beat.
    rng = np.random.default_rng(0)
    irregular = np.r_[0, np.cumsum(np.round(rng.uniform(0.5, 1.2, 40) * FS))].astype(np.int64)
    assert column(rr_features(irregular, FS), "local_irregularity")[5:-5].min() > 0.05
    assert column(rr_features(np.array([5, 400]), FS), "local_irregularity").tolist() == [0, 0]


def test_successive_irregularity_ignores_isolated_ectopy_but_not_fibrillation() -> None:
    fs = 360.0
    regular = np.full(80, 0.8)
    regular[40], regular[41] = 0.5, 1.1  # one premature beat and its pause
    samples = np.round(np.cumsum([1.0, *regular]) * fs).astype(np.int64)
    irregularity = successive_irregularity(samples, fs)
    assert irregularity.shape == samples.shape
    # The median ignores the premature beat's three large changes among ~30 small ones.
    assert irregularity.max() < 0.01
    # A fibrillation-like rhythm alternating 0.5 and 1.1 s changes by 2 * 0.6 / 1.6 = 0.75 at
    # every beat.
    alternating = np.tile([0.5, 1.1], 40)
    samples = np.round(np.cumsum([1.0, *alternating]) * fs).astype(np.int64)
    np.testing.assert_allclose(successive_irregularity(samples, fs), 0.75, atol=0.01)
    # A beat's window holds the changes around it, so a rhythm that turns irregular is found
    # from about IRREGULARITY_HALF_WINDOW changes before the turn.
    mixed = np.r_[np.full(60, 0.8), np.tile([0.5, 1.1], 30)]
    samples = np.round(np.cumsum([1.0, *mixed]) * fs).astype(np.int64)
    irregularity = successive_irregularity(samples, fs)
    assert irregularity[: 60 - IRREGULARITY_HALF_WINDOW - 1].max() < 0.01
    assert irregularity[60 + IRREGULARITY_HALF_WINDOW :].min() > 0.7
    np.testing.assert_array_equal(successive_irregularity(np.array([0, 300]), fs), [0.0, 0.0])
    with pytest.raises(InputError, match="sorted"):
        successive_irregularity(np.array([300, 0, 600]), fs)


def test_rhythm_at_each_beat_is_the_last_change_before_it() -> None:
    labels = rhythm_at(np.array([5, 10, 15, 40, 90]), np.array([10, 50]), ["(AFIB", "(N"], "(N")
    assert labels.tolist() == ["(N", "(AFIB", "(AFIB", "(AFIB", "(N"]
    with pytest.raises(InputError, match="sorted and have one label each"):
        rhythm_at(np.array([5]), np.array([50, 10]), ["(AFIB", "(N"], "(N")
