from dataclasses import replace

import numpy as np
import pytest

from ecgbeats.denoising import DenoisingOptions, band_edges_hz, denoise, kept_details
from ecgbeats.errors import InputError

FS = 360.0
# config.yaml's denoise section (the paper's): db5, 9 levels, A9, D1 and D2 removed.
PAPER = DenoisingOptions(
    wavelet="db5", level=9, remove_approximation=True, remove_details=(1, 2), threshold="none"
)


def options(**changes: object) -> DenoisingOptions:
    return replace(PAPER, **changes)


def tone(freq_hz: float, seconds: float = 60.0) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    return np.sin(2 * np.pi * freq_hz * t)


def test_paper_options_remove_baseline_and_mains_keep_qrs_band():
    qrs_band = tone(12.0)
    wander = 0.8 * tone(0.1)
    mains = 0.3 * tone(60.0)
    clean = denoise(qrs_band + wander + mains, PAPER)
    inner = slice(2000, -2000)  # away from the borders' extension effects
    residual = clean[inner] - qrs_band[inner]
    before = (wander + mains)[inner]
    assert np.sqrt(np.mean(residual**2)) < 0.1 * np.sqrt(np.mean(qrs_band[inner] ** 2))
    assert np.mean(residual**2) < 0.02 * np.mean(before**2)


def test_removing_nothing_reconstructs_signal():
    signal = np.random.default_rng(0).standard_normal(5000)
    identity = options(remove_approximation=False, remove_details=())
    np.testing.assert_allclose(denoise(signal, identity), signal, atol=1e-5)


def test_output_length_matches_input_for_odd_lengths():
    signal = np.random.default_rng(1).standard_normal(4099)
    assert denoise(signal, options(level=5)).shape == signal.shape


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_threshold_removes_white_noise(mode: str):
    noise = 0.2 * np.random.default_rng(2).standard_normal(int(30 * FS))
    kept_all = options(remove_approximation=False, remove_details=(), threshold=mode)
    assert np.mean(denoise(noise, kept_all) ** 2) < 0.1 * np.mean(noise**2)


def test_hard_threshold_keeps_strong_components():
    rng = np.random.default_rng(3)
    base = tone(8.0, 30.0)
    noisy = base + 0.2 * rng.standard_normal(base.size)
    hard = options(remove_approximation=False, remove_details=(), threshold="hard")
    assert np.mean((denoise(noisy, hard) - base) ** 2) < 0.6 * np.mean((noisy - base) ** 2)


def test_band_edges_at_360_hz():
    bands = band_edges_hz(FS, 9)
    assert bands["D1"] == (90.0, 180.0)
    assert bands["D2"] == (45.0, 90.0)
    assert bands["A9"][1] == pytest.approx(0.3515625)
    assert kept_details(PAPER) == [3, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"wavelet": "nope"}, "denoising wavelet 'nope'"),
        ({"remove_details": (0, 10)}, r"detail levels \[0, 10\] to remove are outside 1\.\.9"),
        ({"level": 12}, "a 12-level decomposition needs a longer signal"),
    ],
)
def test_bad_options_are_named(changes: dict, message: str):
    with pytest.raises(InputError, match=message):
        denoise(np.zeros(3000), options(**changes))


def test_options_from_config_values():
    """YAML gives lists and may give numbers as strings: the options hold tuples and ints."""
    values = {
        "wavelet": "db5",
        "level": "9",
        "remove_approximation": True,
        "remove_details": [1, 2],
        "threshold": "none",
    }
    assert DenoisingOptions(**values) == PAPER
    with pytest.raises(InputError, match="unknown denoising threshold 'median'"):
        options(threshold="median")
