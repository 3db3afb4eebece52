from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgbeats.errors import InputError
from ecgbeats.records import choose_lead, read_beat_annotations, read_recording
from synthetic_ecg import write_record


def test_choose_lead_prefers_order_not_channel():
    assert choose_lead(["V5", "MLII"], ["MLII", "V5"], "114") == 1
    assert choose_lead(["V5", "V2"], ["MLII", "V5", "V2"], "102") == 0


def test_choose_lead_names_record_and_key():
    with pytest.raises(InputError, match=r"record 102.*'leads'.*\['V5', 'V2'\]"):
        choose_lead(["V5", "V2"], ["MLII"], "102")


def test_read_recording_uses_named_lead(tmp_path: Path):
    write_record(tmp_path, "r1", ["N"] * 6, leads=("V5", "MLII"))
    recording = read_recording(tmp_path / "r1", ["MLII"])
    raw = wfdb.rdrecord(str(tmp_path / "r1"))
    assert recording.lead == "MLII"
    assert recording.fs == 360
    np.testing.assert_allclose(recording.signal, raw.p_signal[:, 1])


def test_beat_annotations_leave_out_non_beats(tmp_path: Path):
    peaks = write_record(tmp_path, "r2", ["N", "V", "N", "A"])
    samples, symbols = read_beat_annotations(tmp_path / "r2")
    assert list(symbols) == ["N", "V", "N", "A"]
    np.testing.assert_array_equal(samples, peaks)
    all_symbols = wfdb.rdann(str(tmp_path / "r2"), "atr").symbol
    assert "+" in all_symbols and "~" in all_symbols


def test_missing_dat_names_file(tmp_path: Path):
    write_record(tmp_path, "r3", ["N"] * 4)
    (tmp_path / "r3.dat").unlink()
    with pytest.raises(InputError, match=r"record r3: missing signal file .*r3\.dat"):
        read_recording(tmp_path / "r3", ["MLII"])


def test_truncated_dat_names_file(tmp_path: Path):
    write_record(tmp_path, "r4", ["N"] * 6)
    data = (tmp_path / "r4.dat").read_bytes()
    (tmp_path / "r4.dat").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"record r4: .*r4\.dat.*truncated"):
        read_recording(tmp_path / "r4", ["MLII"])


def test_corrupt_header_names_file(tmp_path: Path):
    write_record(tmp_path, "r5", ["N"] * 4)
    (tmp_path / "r5.hea").write_text("this is not a header\n")
    with pytest.raises(InputError, match=r"record r5: corrupt header .*r5\.hea"):
        read_recording(tmp_path / "r5", ["MLII"])


def test_missing_lead_names_record(tmp_path: Path):
    write_record(tmp_path, "r6", ["N"] * 4, leads=("V5", "V2"))
    with pytest.raises(InputError, match="record r6: none of the preferred leads"):
        read_recording(tmp_path / "r6", ["MLII"])


def test_real_record_114_uses_channel_1(mitdb_dir: Path):
    recording = read_recording(mitdb_dir / "114", ["MLII", "V5"])
    assert recording.lead == "MLII"
    assert recording.signal.shape == (650000,)
    np.testing.assert_allclose(
        recording.signal[:100], wfdb.rdrecord(str(mitdb_dir / "114"), sampto=100).p_signal[:, 1]
    )
