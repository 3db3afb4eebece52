from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgbeats.errors import InputError
from ecgbeats.records import (
    choose_lead,
    read_beat_annotations,
    read_recording,
    read_rhythm_changes,
)
from ecgbeats.resampling import TARGET_FS
from synthetic_ecg import write_record, write_resampled_record


def _edit_header(directory: Path, name: str, line: int, field: int, value: str) -> None:
    """Set one whitespace-separated field of one header line (line 0: the record line)."""
    path = directory / f"{name}.hea"
    lines = path.read_text().splitlines()
    fields = lines[line].split()
    fields[field] = value
    lines[line] = " ".join(fields)
    path.write_text("\n".join(lines) + "\n")


def test_choose_lead_prefers_order_not_channel():
    assert choose_lead(["V5", "MLII"], ["MLII", "V5"], "114") == 1
    assert choose_lead(["V5", "V2"], ["MLII", "V5", "V2"], "102") == 0


def test_choose_lead_names_record_and_leads():
    with pytest.raises(InputError, match=r"record 102: none of .*\['MLII'\].*\['V5', 'V2'\]"):
        choose_lead(["V5", "V2"], ["MLII"], "102")


def test_read_recording_uses_named_lead(tmp_path: Path):
    write_record(tmp_path, "r1", ["N"] * 6, leads=("V5", "MLII"))
    recording = read_recording(tmp_path / "r1", ["MLII"])
    raw = wfdb.rdrecord(str(tmp_path / "r1"))
    assert recording.lead == "MLII"
    assert recording.fs == recording.source_fs == 360
    np.testing.assert_allclose(recording.signal, raw.p_signal[:, 1])
    at_target = read_recording(tmp_path / "r1", ["MLII"], target_fs=TARGET_FS)
    assert at_target.signal.tobytes() == recording.signal.tobytes()


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


@pytest.mark.parametrize(
    ("rate", "target_fs", "message"),
    [
        ("3", TARGET_FS, r"record r7: sampling rate 3 Hz cannot be handled .*\(header .*r7\.hea\)"),
        ("0", TARGET_FS, r"record r7: header .*r7\.hea gives sampling rate 0 Hz"),
        ("0", None, r"record r7: header .*r7\.hea gives sampling rate 0 Hz"),
    ],
)
def test_unusable_sampling_rate_names_record_and_header(tmp_path: Path, rate, target_fs, message):
    write_record(tmp_path, "r7", ["N"] * 6)
    _edit_header(tmp_path, "r7", 0, 2, rate)
    with pytest.raises(InputError, match=message):
        read_recording(tmp_path / "r7", ["MLII"], target_fs=target_fs)


@pytest.mark.parametrize("gain", ["-200", "1e999", "1e-320"])
def test_unusable_gain_names_record_header_and_lead(tmp_path: Path, gain):
    # Negative, infinite, or so small that dividing by it overflows.
    write_record(tmp_path, "r8", ["N"] * 6)
    _edit_header(tmp_path, "r8", 1, 2, f"{gain}(1024)/mV")
    with pytest.raises(
        InputError, match=r"record r8: header .*r8\.hea gives lead MLII the ADC gain"
    ):
        read_recording(tmp_path / "r8", ["MLII"])


@pytest.mark.parametrize("gain", [float("nan"), 0.0])
def test_nan_or_zero_gain_of_a_parsed_header_fails(tmp_path: Path, monkeypatch, gain):
    # wfdb never parses these from header text (0 becomes 200, NaN is no number), but a header
    # object may carry them; the check must not pass them on to a division.
    write_record(tmp_path, "r8", ["N"] * 6)
    header = wfdb.rdheader(str(tmp_path / "r8"))
    header.adc_gain = [gain, 200.0]
    monkeypatch.setattr(wfdb, "rdheader", lambda *args, **kwargs: header)
    with pytest.raises(
        InputError, match=rf"record r8: .*r8\.hea gives lead MLII the ADC gain {gain}"
    ):
        read_recording(tmp_path / "r8", ["MLII"])


@pytest.mark.parametrize("gain", ["0", "200"])
def test_zero_or_omitted_gain_is_the_wfdb_default(tmp_path: Path, gain):
    # WFDB: a gain of 0 or none means "uncalibrated, 200 ADC units per unit"; wfdb reads 200.
    write_record(tmp_path, "r8", ["N"] * 6)
    expected = read_recording(tmp_path / "r8", ["MLII"]).signal
    _edit_header(tmp_path, "r8", 1, 2, f"{gain}(1024)/mV" if gain == "0" else "200(1024)/mV")
    assert wfdb.rdheader(str(tmp_path / "r8")).adc_gain[0] == 200.0
    np.testing.assert_array_equal(read_recording(tmp_path / "r8", ["MLII"]).signal, expected)


def test_signal_file_longer_than_header_says_names_both(tmp_path: Path):
    write_record(tmp_path, "r9", ["N"] * 6)
    length = wfdb.rdheader(str(tmp_path / "r9")).sig_len
    _edit_header(tmp_path, "r9", 0, 3, str(length - 100))
    with pytest.raises(
        InputError,
        match=r"record r9: signal file .*r9\.dat holds more samples than header .*r9\.hea",
    ):
        read_recording(tmp_path / "r9", ["MLII"])


def test_missing_signal_length_names_header(tmp_path: Path):
    write_record(tmp_path, "r9", ["N"] * 6)
    _edit_header(tmp_path, "r9", 0, 3, "0")
    with pytest.raises(InputError, match=r"record r9: header .*r9\.hea gives no signal length"):
        read_recording(tmp_path / "r9", ["MLII"])


@pytest.mark.parametrize(("fmt", "offset"), [("212", 0), ("16", 0), ("16", 6), ("24", 0)])
def test_size_check_accepts_padding_and_byte_offsets(tmp_path: Path, fmt, offset):
    # An odd number of 212 samples pads the last 3-byte group; a byte offset precedes the data.
    signal = np.sin(np.arange(1001) / 10.0)[:, None]
    wfdb.wrsamp(
        "r10",
        fs=360,
        units=["mV"],
        sig_name=["MLII"],
        p_signal=signal,
        fmt=[fmt],
        adc_gain=[200.0],
        baseline=[0],
        write_dir=str(tmp_path),
    )
    if offset:
        data = tmp_path / "r10.dat"
        data.write_bytes(bytes(offset) + data.read_bytes())
        _edit_header(tmp_path, "r10", 1, 1, f"{fmt}+{offset}")
    recording = read_recording(tmp_path / "r10", ["MLII"])
    np.testing.assert_allclose(recording.signal, signal[:, 0], atol=0.5 / 200)


@pytest.mark.parametrize("fs", [250, 128])
def test_other_rates_are_read_at_the_target_rate(tmp_path: Path, fs):
    symbols = ["N", "N", "A"] * 10
    truth, peaks_360, _ = write_resampled_record(tmp_path, f"r{fs}", symbols, fs)
    recording = read_recording(tmp_path / f"r{fs}", ["MLII"], target_fs=TARGET_FS)
    assert recording.fs == TARGET_FS and recording.source_fs == fs
    source_length = wfdb.rdheader(str(tmp_path / f"r{fs}")).sig_len
    assert abs(recording.signal.size - source_length * TARGET_FS / fs) <= 1
    samples, read_symbols = read_beat_annotations(
        tmp_path / f"r{fs}",
        length=recording.signal.size,
        source_fs=recording.source_fs,
        target_fs=recording.fs,
    )
    assert list(read_symbols) == symbols
    assert np.max(np.abs(samples - truth * TARGET_FS / fs)) <= 1
    # The lead did not move in time: each R peak of the lead read at 360 Hz is where the beat
    # was synthesised at 360 Hz, to within one sample.
    for peak in peaks_360:
        window = recording.signal[peak - 10 : peak + 11]
        assert abs(int(np.argmax(window)) - 10) <= 1


def test_annotation_rates_must_come_together(tmp_path: Path):
    write_record(tmp_path, "r11", ["N"] * 4)
    with pytest.raises(ValueError, match="both source_fs and target_fs"):
        read_beat_annotations(tmp_path / "r11", source_fs=250.0)


def test_real_record_114_uses_channel_1(mitdb_dir: Path):
    recording = read_recording(mitdb_dir / "114", ["MLII", "V5"])
    assert recording.lead == "MLII"
    assert recording.signal.shape == (650000,)
    np.testing.assert_allclose(
        recording.signal[:100], wfdb.rdrecord(str(mitdb_dir / "114"), sampto=100).p_signal[:, 1]
    )
    # MIT-BIH is at the target rate: reading it "resampled" changes no bit.
    at_target = read_recording(mitdb_dir / "114", ["MLII", "V5"], target_fs=TARGET_FS)
    assert at_target.source_fs == TARGET_FS
    assert at_target.signal.tobytes() == recording.signal.tobytes()


def test_rhythm_changes_are_the_annotations_that_name_a_rhythm(tmp_path: Path) -> None:
    # write_record notes the rhythm as MIT-BIH does: "(N", an "(AFIB" episode, "(N" again.
    peaks = write_record(tmp_path, "r1", ["N"] * 8)
    changes, labels = read_rhythm_changes(tmp_path / "r1", "atr")
    assert labels == ["(N", "(AFIB", "(N"]
    assert changes.tolist() == [peaks[0] - 5, peaks[4] + 20, peaks[6] + 20]
    with pytest.raises(InputError, match="record nothing: cannot read annotation file"):
        read_rhythm_changes(tmp_path / "nothing", "atr")
