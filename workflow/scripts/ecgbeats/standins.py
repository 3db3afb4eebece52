"""Stand-ins of another database made from MIT-BIH-format records (for tests and benchmarks).

A stand-in is a record as another PhysioNet database would store it: resampled to another rate
(wfdb's FFT resampling, independent of the workflow's polyphase filter), its leads renamed and
some annotation symbols renamed (e.g. ``A`` to ``S``, as the Supraventricular Arrhythmia Database
annotates supraventricular premature beats). Scored with the inverse symbol map, its beats are
MIT-BIH's own, so external scoring can be checked against the MIT-BIH evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import numpy as np
import wfdb
from wfdb import processing


def write_standin(
    source: str | Path,
    directory: str | Path,
    name: str,
    fs: float,
    lead_names: Mapping[str, str],
    symbol_names: Mapping[str, str],
) -> Path:
    """Write the record `source` (path without extension, `atr` annotations) as `name` into
    `directory` at `fs` Hz, leads renamed by `lead_names` (others kept), every annotation kept
    with its symbol renamed by `symbol_names` and its auxiliary note (rhythm changes); returns
    the new record's path (no extension)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    record = wfdb.rdrecord(str(source))
    annotation = wfdb.rdann(str(source), "atr")
    # Cut to whole periods of the rate ratio, so that the FFT resampling keeps the time scale
    # exactly (a fractional length would stretch the record by up to one sample).
    step = Fraction(fs / record.fs).limit_denominator(1000).denominator
    length = record.sig_len // step * step
    signal = np.column_stack(
        [
            processing.resample_sig(record.p_signal[:length, i], record.fs, fs)[0]
            for i in range(record.n_sig)
        ]
    )
    wfdb.wrsamp(
        name,
        fs=fs,
        units=list(record.units),
        sig_name=[lead_names.get(lead, lead) for lead in record.sig_name],
        p_signal=signal,
        fmt=["16"] * record.n_sig,
        adc_gain=[200.0] * record.n_sig,
        baseline=[0] * record.n_sig,
        write_dir=str(directory),
    )
    samples = np.rint(np.asarray(annotation.sample) * (fs / record.fs)).astype(np.int64)
    inside = (samples >= 0) & (samples < signal.shape[0])
    symbols = [symbol_names.get(s, s) for s in np.asarray(annotation.symbol)[inside]]
    # The rhythm notes ("(AFIB", ...) too: a stand-in that trains a model teaches its gate.
    notes = [str(note or "") for note in np.asarray(annotation.aux_note, dtype=object)[inside]]
    wfdb.wrann(
        name, "atr", samples[inside], symbols, aux_note=notes, fs=fs, write_dir=str(directory)
    )
    return directory / name
