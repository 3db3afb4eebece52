import numpy as np
import pytest

from ecgbeats.atrial import p_wave_regularity
from ecgbeats.beats import (
    BeatOptions,
    beats_from_signal,
    normalise,
    segment,
    window_fits,
)
from ecgbeats.denoising import DenoisingOptions, denoise
from ecgbeats.errors import InputError
from ecgbeats.rhythm import RR_FEATURES
from ecgbeats.synthetic import synthesize

WINDOW = BeatOptions(before=150, after=150, normalisation="zscore")
NO_DENOISING = DenoisingOptions(
    wavelet="db5", level=3, remove_approximation=False, remove_details=(), threshold="none"
)


def test_segment_takes_before_and_after_r_peak():
    signal = np.arange(1000, dtype=float)
    beats = segment(signal, np.array([150, 500]), 150, 150)
    assert beats.shape == (2, 300)
    assert beats[0, 0] == 0 and beats[0, 150] == 150 and beats[0, -1] == 299
    assert beats[1, 150] == 500


def test_edge_beats_are_dropped_and_counted():
    signal = np.random.default_rng(0).standard_normal(1000)
    samples = np.array([100, 149, 150, 500, 850, 851, 990])
    fits = window_fits(samples, signal.size, 150, 150)
    assert fits.tolist() == [False, False, True, True, True, False, False]
    beat_set = beats_from_signal(signal, 360, samples, denoising=NO_DENOISING, window=WINDOW)
    assert beat_set.edge_drops == 4
    assert beat_set.samples.tolist() == [150, 500, 850]
    assert beat_set.beats.dtype == np.float32 and beat_set.beats.shape == (3, 300)


def test_rr_features_survive_edge_drops():
    samples = np.array([100, 460, 820, 1180])
    signal = np.random.default_rng(1).standard_normal(1300)
    beat_set = beats_from_signal(signal, 360, samples, denoising=NO_DENOISING, window=WINDOW)
    assert beat_set.samples.tolist() == [460, 820]
    # The first kept beat's previous interval is the true one, to the dropped first beat.
    previous = RR_FEATURES.index("previous")
    assert beat_set.rr_features[:, previous].tolist() == [1.0, 1.0]
    assert beat_set.rr_features.shape == (2, len(RR_FEATURES))


def test_p_waves_are_read_from_the_denoised_lead_around_all_peaks() -> None:
    signal, peaks = synthesize(["N", "N", "A"] * 12, seed=7)
    lead = signal[:, 0] + 0.3 * np.sin(np.arange(signal.shape[0]) * 2 * np.pi * 0.5 / 360)
    denoising = DenoisingOptions(
        wavelet="db5", level=6, remove_approximation=True, remove_details=(1, 2), threshold="none"
    )
    beat_set = beats_from_signal(lead, 360, peaks, denoising=denoising, window=WINDOW)
    assert beat_set.edge_drops > 0  # the first peak lies 0.25 s in: its window does not fit
    regularity = beat_set.rr_features[:, RR_FEATURES.index("p_wave_regularity")]
    expected = p_wave_regularity(denoise(lead, denoising), peaks, 360)[beat_set.kept]
    np.testing.assert_allclose(regularity, expected.astype(np.float32), rtol=1e-6)
    raw = p_wave_regularity(lead, peaks, 360)[beat_set.kept]
    assert np.abs(raw - expected).max() > 1e-3


def test_zscore_and_minmax():
    beats = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])
    z = normalise(beats, "zscore")
    np.testing.assert_allclose(z[0].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(z[0].std(), 1, rtol=1e-6)
    m = normalise(beats, "minmax")
    assert m[0].min() == 0 and m[0].max() == 1
    # flat beats never give NaN
    assert np.all(z[1] == 0) and np.all(m[1] == 0)
    assert np.isfinite(z).all() and np.isfinite(m).all()


def test_unknown_normalisation_is_named():
    with pytest.raises(InputError, match="unknown beat normalisation 'robust'"):
        normalise(np.ones((1, 4)), "robust")  # type: ignore[arg-type]


def test_beat_options_from_config_values():
    options = BeatOptions(**{"before": "90", "after": 108, "normalisation": "minmax"})
    assert (options.before, options.after, options.normalisation) == (90, 108, "minmax")
    with pytest.raises(InputError, match="unknown beat normalisation 'robust'"):
        BeatOptions(before=90, after=108, normalisation="robust")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="beat window of -1 samples before"):
        BeatOptions(before=-1, after=108, normalisation="zscore")


def test_unsorted_positions_rejected():
    with pytest.raises(InputError, match="not sorted"):
        beats_from_signal(
            np.zeros(2000),
            360,
            np.array([900, 400]),
            denoising=NO_DENOISING,
            window=WINDOW,
        )
