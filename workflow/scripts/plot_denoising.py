"""Snakemake glue: raw vs denoised lead of one record over a short window."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from _common import logged
from ecgbeats.denoising import DenoisingOptions, denoise, kept_details, passband_hz
from ecgbeats.plots import denoising_comparison
from ecgbeats.records import read_recording
from ecgbeats.resampling import TARGET_FS

with logged(snakemake):
    # At TARGET_FS, the rate the denoising levels were chosen for and the beats are cut at.
    recording = read_recording(
        Path(snakemake.input.header).with_suffix(""), snakemake.params.leads, target_fs=TARGET_FS
    )
    options = DenoisingOptions.from_mapping(snakemake.params.denoise)
    clean = denoise(recording.signal, options)
    start_s, seconds = snakemake.params.window
    start = int(start_s * recording.fs)
    stop = min(recording.signal.size, start + int(seconds * recording.fs))
    time_s = np.arange(start, stop) / recording.fs
    low, high = passband_hz(options, recording.fs)
    figure = denoising_comparison(
        time_s,
        recording.signal[start:stop],
        clean[start:stop],
        f"Record {recording.record}, lead {recording.lead}: {options.wavelet}, "
        f"{options.level} levels, kept D{kept_details(options)} (about {low:.2f}-{high:.1f} Hz), "
        f"threshold {options.threshold}",
    )
    figure.savefig(snakemake.output.figure, dpi=150)
    plt.close(figure)
