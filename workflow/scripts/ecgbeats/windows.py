"""Medians over windows of neighbouring beats: the robust local summaries of the rhythm
(ecgbeats.rhythm.successive_irregularity) and of the P waves (ecgbeats.atrial).

A median ignores the few outliers that isolated premature beats and pauses put into a window,
which is why both summaries use it. They run for every record and every noisy copy of it, so
whole windows are taken at once; only windows cut short by a record's ends take one median each.
"""

from __future__ import annotations

import numpy as np

from ecgbeats.errors import InputError

#: Windows gathered at once: a day-long recording's windows of P-wave stretches would not fit in
#: memory together.
_CHUNK = 4096


def windowed_median(
    values: np.ndarray, centres: np.ndarray, half: int, leave_out_centre: bool = False
) -> np.ndarray:
    """Per centre (n,) (indices into `values`), the median (n, ...) float64 over the first axis
    of `values` (m, ...) from centre - `half` to centre + `half`, the centre itself left out with
    `leave_out_centre`; windows reaching beyond the ends take the values that exist."""
    values = np.asarray(values, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.int64)
    size = values.shape[0]
    if half < 0 or size == 0 or (leave_out_centre and (half == 0 or size < 2)):
        raise InputError(
            f"windowed median: {size} values and a half-width of {half} leave a window empty"
        )
    if centres.size and (centres.min() < 0 or centres.max() >= size):
        raise InputError(f"windowed median: window centres must index the {size} values")
    offsets = np.arange(-half, half + 1)
    if leave_out_centre:
        offsets = offsets[offsets != 0]
    medians = np.empty(centres.shape + values.shape[1:])
    for start in range(0, centres.size, _CHUNK):
        index = centres[start : start + _CHUNK, None] + offsets[None, :]
        inside = (index >= 0) & (index < size)
        whole = inside.all(axis=1)
        block = medians[start : start + index.shape[0]]  # a view: filled in place
        if whole.any():
            block[whole] = np.median(values[index[whole]], axis=1)
        for row in np.flatnonzero(~whole):
            block[row] = np.median(values[index[row][inside[row]]], axis=0)
    return medians
