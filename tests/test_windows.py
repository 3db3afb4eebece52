"""ecgbeats.windows: medians over windows of neighbouring beats, cut short at the ends."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeats import windows
from ecgbeats.errors import InputError
from ecgbeats.windows import windowed_median


def loop_median(values: np.ndarray, centres: np.ndarray, half: int, leave_out: bool) -> np.ndarray:
    """The definition, one window at a time."""
    rows = []
    for centre in centres:
        index = [
            i
            for i in range(centre - half, centre + half + 1)
            if 0 <= i < len(values) and not (leave_out and i == centre)
        ]
        rows.append(np.median(values[index], axis=0))
    return np.array(rows)


@pytest.mark.parametrize("leave_out", [False, True])
@pytest.mark.parametrize("shape", [(23,), (23, 4)])
def test_matches_the_definition_inside_and_at_the_ends(leave_out: bool, shape) -> None:
    values = np.random.default_rng(0).standard_normal(shape)
    centres = np.array([0, 1, 2, 5, 11, 17, 20, 21, 22, 22, 0])  # repeats allowed
    found = windowed_median(values, centres, 3, leave_out_centre=leave_out)
    assert found.shape == (centres.size, *shape[1:]) and found.dtype == np.float64
    np.testing.assert_array_equal(found, loop_median(values, centres, 3, leave_out))


def test_the_centre_left_out_or_kept() -> None:
    values = np.array([0.0, 0.0, 9.0, 0.0, 0.0])
    # Kept, an outlier at the centre does not move the median; left out, it never counts.
    assert windowed_median(values, np.array([2]), 2)[0] == 0.0
    assert windowed_median(values, np.array([1]), 1, leave_out_centre=True)[0] == 4.5
    # A window wider than the values takes them all.
    np.testing.assert_array_equal(windowed_median(values, np.arange(5), 10), np.zeros(5))


def test_chunks_give_the_same_result(monkeypatch) -> None:
    values = np.random.default_rng(1).standard_normal((50, 3))
    centres = np.arange(50)
    whole = windowed_median(values, centres, 4, leave_out_centre=True)
    monkeypatch.setattr(windows, "_CHUNK", 7)
    np.testing.assert_array_equal(windowed_median(values, centres, 4, leave_out_centre=True), whole)


def test_empty_windows_and_bad_centres_are_refused() -> None:
    assert windowed_median(np.ones(3), np.array([], dtype=int), 2).shape == (0,)
    with pytest.raises(InputError, match="leave a window empty"):
        windowed_median(np.ones(1), np.array([0]), 3, leave_out_centre=True)
    with pytest.raises(InputError, match="leave a window empty"):
        windowed_median(np.ones(0), np.array([], dtype=int), 3)
    with pytest.raises(InputError, match="half-width of 0 leave a window empty"):
        windowed_median(np.ones(4), np.array([1]), 0, leave_out_centre=True)
    with pytest.raises(InputError, match="half-width of -1"):
        windowed_median(np.ones(4), np.array([1]), -1)
    # Without the centre left out, a half-width of 0 is the values themselves.
    np.testing.assert_array_equal(windowed_median(np.arange(4.0), np.array([3, 1]), 0), [3.0, 1.0])
    with pytest.raises(InputError, match="must index the 3 values"):
        windowed_median(np.ones(3), np.array([3]), 1)
