"""R-peak detection: XQRS plus peak correction on the denoised lead (ecgbeats.rpeaks)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats.denoising import DenoisingOptions
from ecgbeats.detection_metrics import MATCH_WINDOW_S, detection_counts, sensitivity_ppv
from ecgbeats.errors import InputError
from ecgbeats.records import read_beat_annotations, read_recording
from ecgbeats.resampling import TARGET_FS
from ecgbeats.rpeaks import DetectorOptions, correct_peaks, detect_r_peaks, detect_record_peaks
from synthetic_ecg import write_record

# The workflow's defaults (config.yaml: denoise, classify.detector).
DENOISING = DenoisingOptions(
    wavelet="db5", level=9, remove_approximation=True, remove_details=(1, 2), threshold="none"
)
DETECTOR = DetectorOptions(search_radius_s=0.1, smooth_window_s=0.4)


def test_detector_options_take_numbers_from_yaml_and_refuse_zero():
    assert DetectorOptions(search_radius_s="0.1", smooth_window_s=1) == DetectorOptions(0.1, 1.0)
    with pytest.raises(InputError, match="search radius 0 s .* must both be above 0"):
        DetectorOptions(search_radius_s=0, smooth_window_s=0.4)


def test_correction_moves_peaks_onto_the_extremum_and_merges_them():
    clean = np.zeros(2000)
    clean[500], clean[1200] = 1.0, 2.0
    # 480 and 515 both move onto the peak at 500; 1230 moves onto the one at 1200.
    corrected = correct_peaks(clean, np.array([480, 515, 1230]), 360.0, DETECTOR)
    assert corrected.tolist() == [500, 1200]
    assert correct_peaks(clean, np.array([], dtype=np.int64), 360.0, DETECTOR).size == 0


def test_detector_finds_the_beats_of_a_synthetic_record(tmp_path):
    # XQRS's matched filter is tuned to real QRS complexes; the synthetic wide (L, R) and
    # negative (V) Gaussian complexes fool it, so this test uses narrow beats.
    write_record(tmp_path, "r360", ["N", "N", "A"] * 12, non_beat=False)
    recording = read_recording(tmp_path / "r360", ["MLII"], target_fs=TARGET_FS)
    reference, _ = read_beat_annotations(
        tmp_path / "r360",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    detected = detect_record_peaks(recording, denoising=DENOISING, detector=DETECTOR)
    assert detected.dtype == np.int64 and np.all(np.diff(detected) > 0)
    tp, fp, fn = detection_counts(reference, detected, round(MATCH_WINDOW_S * TARGET_FS))
    assert fp <= 1 and fn <= 1 and tp >= reference.size - 1
    flat = np.zeros(5000)
    assert detect_r_peaks(flat, flat, TARGET_FS, DETECTOR).size == 0


def test_detection_refuses_a_recording_not_read_at_the_target_rate(tmp_path):
    write_record(tmp_path, "r250", ["N"] * 8, fs=250)
    recording = read_recording(tmp_path / "r250", ["MLII"])
    with pytest.raises(ValueError, match="detect_record_peaks: record r250 is at 250 Hz"):
        detect_record_peaks(recording, denoising=DENOISING, detector=DETECTOR)


@pytest.mark.mitdb
def test_xqrs_detection_on_mitdb_record_100(mitdb_dir):
    recording = read_recording(mitdb_dir / "100", ["MLII", "V5"], target_fs=TARGET_FS)
    reference, _ = read_beat_annotations(
        mitdb_dir / "100",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    detected = detect_record_peaks(recording, denoising=DENOISING, detector=DETECTOR)
    tp, fp, fn = detection_counts(reference, detected, round(MATCH_WINDOW_S * recording.fs))
    se, ppv = sensitivity_ppv(tp, fp, fn)
    assert se > 0.99 and ppv > 0.99
