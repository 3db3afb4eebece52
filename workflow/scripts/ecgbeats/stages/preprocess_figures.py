"""Figure of the preprocessing stage: rule plot_denoising.

Apart from ecgbeats.stages.preprocess, whose rules' outputs other rules read: a rule's library
inputs are all the modules its stage module imports, so only figure rules import the plotting
code, and editing it reruns figures only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ecgbeats.denoising import DenoisingOptions, denoise, kept_details, passband_hz
from ecgbeats.plots import denoising_comparison
from ecgbeats.records import read_recording
from ecgbeats.resampling import TARGET_FS


def plot_denoising(
    header: str | Path,
    figure: str | Path,
    leads: Sequence[str],
    denoising: DenoisingOptions,
    start_s: float,
    seconds: float,
) -> None:
    """Raw and denoised lead of the record whose header is `header`, `seconds` from `start_s`,
    saved to `figure` (PNG). The lead is the first of `leads` the record has."""
    # At TARGET_FS, the rate the denoising levels were chosen for and the beats are cut at.
    recording = read_recording(Path(header).with_suffix(""), leads, target_fs=TARGET_FS)
    clean = denoise(recording.signal, denoising)
    start = int(start_s * recording.fs)
    stop = min(recording.signal.size, start + int(seconds * recording.fs))
    low, high = passband_hz(denoising, recording.fs)
    drawn = denoising_comparison(
        np.arange(start, stop) / recording.fs,
        recording.signal[start:stop],
        clean[start:stop],
        f"Record {recording.record}, lead {recording.lead}: {denoising.wavelet}, "
        f"{denoising.level} levels, kept D{kept_details(denoising)} (about {low:.2f}-{high:.1f} "
        f"Hz), threshold {denoising.threshold}",
    )
    Path(figure).parent.mkdir(parents=True, exist_ok=True)
    drawn.savefig(figure, dpi=150)
    plt.close(drawn)
