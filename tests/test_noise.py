"""ecgbeats.noise: the stress-test database's SNR definition, generated noise spectra, scaling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from scipy.signal import welch

from ecgbeats.errors import InputError
from ecgbeats.noise import (
    GENERATED_BANDS,
    NOISE_SOURCES,
    fitted,
    generate_noise,
    noise_rms,
    noisy_recording,
    qrs_amplitude,
    read_noise_record,
    seeded_rng,
    snr_db,
    source_names,
)
from ecgbeats.records import Recording
from ecgbeats.synthetic import synthesize

FS = 360.0


def spike_train(n_beats: int = 60, height: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """A flat lead with a triangular QRS of peak-to-peak `height` every second."""
    signal = np.zeros(int(FS) * (n_beats + 1))
    peaks = np.arange(1, n_beats + 1) * int(FS)
    for p in peaks:
        signal[p - 5 : p + 6] = height * (1 - np.abs(np.arange(-5, 6)) / 5)
    return signal, peaks


def test_snr_is_qrs_amplitude_squared_over_8_against_the_noise_power():
    signal, peaks = spike_train()
    assert qrs_amplitude(signal, FS, peaks) == pytest.approx(2.0)
    # A 10 Hz sine of amplitude 0.5: RMS 0.5 / sqrt(2) in every 1-second chunk.
    t = np.arange(signal.size) / FS
    noise = 0.5 * np.sin(2 * np.pi * 10 * t)
    assert noise_rms(noise, FS) == pytest.approx(0.5 / np.sqrt(2), rel=1e-6)
    # S = 2**2 / 8 = 0.5, N = 0.125: 10 log10(4) dB.
    assert snr_db(signal, noise, FS, peaks) == pytest.approx(10 * np.log10(4), abs=1e-6)


def test_the_measures_leave_out_the_extremes():
    signal, peaks = spike_train(n_beats=100)
    signal[peaks[0]] = 50.0  # one huge artefact on one beat
    assert qrs_amplitude(signal, FS, peaks) == pytest.approx(2.0)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(signal.size)
    burst = noise.copy()
    burst[: int(FS)] *= 100  # one second of a huge burst
    assert noise_rms(burst, FS) == pytest.approx(noise_rms(noise, FS), rel=0.02)


@pytest.mark.parametrize("source", list(NOISE_SOURCES))
@pytest.mark.parametrize("target", [24.0, 6.0, -6.0])
def test_noise_is_added_at_the_asked_snr(source: str, target: float):
    signal, peaks = synthesize(["N", "V", "N", "A"] * 30, seed=1)
    recording = Recording("r", signal[:, 0], FS, "MLII", FS)
    noise = generate_noise(source, signal.shape[0], FS, seeded_rng(1, source, "r"))
    noisy = noisy_recording(recording, noise, peaks, target)
    added = noisy.signal - recording.signal
    assert snr_db(recording.signal, added, FS, peaks) == pytest.approx(target, abs=1e-6)
    assert noisy_recording(recording, noise, peaks, float("inf")) is recording


@pytest.mark.parametrize("source", list(NOISE_SOURCES))
def test_generated_noise_has_its_documented_band(source: str):
    noise = generate_noise(source, int(FS) * 600, FS, seeded_rng(0, source))
    frequency, power = welch(noise, fs=FS, nperseg=int(FS) * 60)
    low, high = GENERATED_BANDS[source]
    band = (frequency >= (low or 0) * 0.5) & (frequency <= (high or FS) * 2)
    # Fourth-order filters: almost all power within an octave of the band.
    assert power[band].sum() / power.sum() > 0.95
    assert noise.std() == pytest.approx(1.0)
    again = generate_noise(source, int(FS) * 600, FS, seeded_rng(0, source))
    np.testing.assert_array_equal(noise, again)


def test_a_short_noise_is_repeated_from_its_start():
    np.testing.assert_array_equal(fitted(np.arange(4.0), 7, offset=2), [2, 3, 0, 1, 2, 3, 0])


def test_unknown_source_and_flat_noise_are_refused():
    with pytest.raises(InputError, match="unknown noise source"):
        source_names(["bw", "hum"])
    signal, peaks = spike_train()
    recording = Recording("r", signal, FS, "MLII", FS)
    with pytest.raises(InputError, match="flat"):
        noisy_recording(recording, np.zeros(signal.size), peaks, 12.0)


def test_a_noise_record_is_read_at_the_models_rate(tmp_path: Path):
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((2500, 2))
    wfdb.wrsamp(
        "em",
        fs=250,
        units=["mV", "mV"],
        sig_name=["noise1", "noise2"],
        p_signal=noise,
        fmt=["16", "16"],
        write_dir=str(tmp_path),
    )
    signal = read_noise_record(tmp_path / "em", FS)
    assert signal.size == 3600  # 10 s at 360 Hz
    # The same 10 s: every 36th sample at 360 Hz is every 25th at 250 Hz (zero-phase filter).
    assert np.corrcoef(signal[::36], noise[::25, 0])[0, 1] > 0.5
    assert abs(signal.std() - noise[:, 0].std()) < 0.5
