import numpy as np
import pytest

from ecgbeats.denoising import DenoisingOptions, band_edges_hz, denoise, kept_details
from ecgbeats.errors import InputError

FS = 360.0


def tone(freq_hz: float, seconds: float = 60.0) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    return np.sin(2 * np.pi * freq_hz * t)


def test_default_removes_baseline_and_mains_keeps_qrs_band():
    options = DenoisingOptions()
    qrs_band = tone(12.0)
    wander = 0.8 * tone(0.1)
    mains = 0.3 * tone(60.0)
    clean = denoise(qrs_band + wander + mains, options)
    inner = slice(2000, -2000)  # away from the borders' extension effects
    residual = clean[inner] - qrs_band[inner]
    before = (wander + mains)[inner]
    assert np.sqrt(np.mean(residual**2)) < 0.1 * np.sqrt(np.mean(qrs_band[inner] ** 2))
    assert np.mean(residual**2) < 0.02 * np.mean(before**2)


def test_removing_nothing_reconstructs_signal():
    signal = np.random.default_rng(0).standard_normal(5000)
    options = DenoisingOptions(remove_approximation=False, remove_details=())
    np.testing.assert_allclose(denoise(signal, options), signal, atol=1e-5)


def test_output_length_matches_input_for_odd_lengths():
    signal = np.random.default_rng(1).standard_normal(4099)
    assert denoise(signal, DenoisingOptions(level=5)).shape == signal.shape


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_threshold_removes_white_noise(mode: str):
    noise = 0.2 * np.random.default_rng(2).standard_normal(int(30 * FS))
    options = DenoisingOptions(remove_approximation=False, remove_details=(), threshold=mode)
    assert np.mean(denoise(noise, options) ** 2) < 0.1 * np.mean(noise**2)


def test_hard_threshold_keeps_strong_components():
    rng = np.random.default_rng(3)
    base = tone(8.0, 30.0)
    noisy = base + 0.2 * rng.standard_normal(base.size)
    options = DenoisingOptions(remove_approximation=False, remove_details=(), threshold="hard")
    assert np.mean((denoise(noisy, options) - base) ** 2) < 0.6 * np.mean((noisy - base) ** 2)


def test_band_edges_at_360_hz():
    bands = band_edges_hz(FS, 9)
    assert bands["D1"] == (90.0, 180.0)
    assert bands["D2"] == (45.0, 90.0)
    assert bands["A9"][1] == pytest.approx(0.3515625)
    assert kept_details(DenoisingOptions()) == [3, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    ("options", "key"),
    [
        (DenoisingOptions(wavelet="nope"), "denoise.wavelet"),
        (DenoisingOptions(remove_details=(0, 10)), "denoise.remove_details"),
        (DenoisingOptions(level=12), "denoise.level"),
    ],
)
def test_bad_options_name_config_key(options: DenoisingOptions, key: str):
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        denoise(np.zeros(3000), options)
