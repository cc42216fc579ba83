"""Grouping offending samples into runs, so one ridge gives one violation and not a hundred."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def true_runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, stop) index pairs of consecutive True values, stop exclusive."""
    if mask.size == 0:
        return []
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(edges[i]), int(edges[i + 1])) for i in range(0, edges.size, 2)]


def worst_in_runs(
    mask: NDArray[np.bool_], score: NDArray[np.float64], *, largest: bool
) -> list[tuple[int, int, int]]:
    """For every run of ``mask``: (start, stop, index of the worst score in the run)."""
    result = []
    for start, stop in true_runs(mask):
        window = score[start:stop]
        offset = int(np.nanargmax(window) if largest else np.nanargmin(window))
        result.append((start, stop, start + offset))
    return result
