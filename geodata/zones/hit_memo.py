"""Recent bulk zone queries remembered point by point, so that checking a mission again after one edit
asks the index only about the points the edit moved.

The planner re-validates a whole 1,000-item survey (~8,000 path samples) on every edit; the zone query
was most of that check's time, and an edit moves the samples of one or two legs. An answer is a pure
function of the point (lon, lat, altitude, ground under it), the time of the query and the immutable
index, so a remembered answer is reused only for a point whose four values are bit-identical, at the
same time. Nothing is ever approximated.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

# Odd 64-bit multipliers (golden-ratio and splitmix64 constants) mix the four values' bit patterns.
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93], dtype=np.uint64
)


@dataclass(frozen=True)
class PointHits:
    """(point, volume) inside-pairs in point order, with the uncertainty flag per pair."""

    point_idx: NDArray[np.int64]
    volume_idx: NDArray[np.int64]
    uncertain: NDArray[np.bool_]


@dataclass(frozen=True)
class _Answered:
    at: datetime | None
    bits: NDArray[np.uint64]  # (n, 4): lon, lat, altitude, ground as raw float64 bits
    sorted_keys: NDArray[np.uint64]
    key_order: NDArray[np.intp]  # point of each sorted key
    hit_start: NDArray[np.int64]  # per point: where its pairs start in volume_idx / uncertain
    hit_count: NDArray[np.int64]
    volume_idx: NDArray[np.int64]
    uncertain: NDArray[np.bool_]


def _point_bits(values: NDArray[np.float64]) -> NDArray[np.uint64]:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)


def _keys(bits: NDArray[np.uint64]) -> NDArray[np.uint64]:
    mixed = bits * _MIX  # wraps modulo 2**64, as intended
    keys: NDArray[np.uint64] = np.bitwise_xor.reduce(mixed, axis=1)
    return keys


class BulkHitMemo:
    """The last ``keep`` bulk queries' answers. Thread-safe: queries only read a finished answer, and
    storing one replaces a reference under a lock."""

    def __init__(self, keep: int = 4) -> None:
        self._recent: deque[_Answered] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def query(
        self,
        values: NDArray[np.float64],
        at: datetime | None,
        compute: Callable[[NDArray[np.intp]], PointHits],
    ) -> PointHits:
        """Pairs for the (n, 4) ``values`` (lon, lat, altitude, ground); ``compute(indices)`` answers
        the points not remembered, with point indices relative to ``indices``."""
        bits = _point_bits(values)
        keys = _keys(bits)
        key_order = np.argsort(keys)
        known, old_points, earlier = self._match(bits, keys, key_order, at)
        fresh_points = np.flatnonzero(~known)
        fresh = compute(fresh_points) if fresh_points.size else _no_hits()
        parts_p = [fresh_points[fresh.point_idx].astype(np.int64)]
        parts_v = [fresh.volume_idx]
        parts_u = [fresh.uncertain]
        if earlier is not None:
            counts = earlier.hit_count[old_points]
            total = int(counts.sum())
            offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
            pair = np.repeat(earlier.hit_start[old_points], counts) + offsets
            parts_p.append(np.repeat(np.flatnonzero(known).astype(np.int64), counts))
            parts_v.append(earlier.volume_idx[pair])
            parts_u.append(earlier.uncertain[pair])
        p, v, u = np.concatenate(parts_p), np.concatenate(parts_v), np.concatenate(parts_u)
        order = np.lexsort((v, p))
        hits = PointHits(p[order], v[order], u[order])
        self._remember(bits, keys, key_order, at, hits)
        return hits

    def _match(
        self,
        bits: NDArray[np.uint64],
        keys: NDArray[np.uint64],
        key_order: NDArray[np.intp],
        at: datetime | None,
    ) -> tuple[NDArray[np.bool_], NDArray[np.intp], _Answered | None]:
        """Which points the earlier answer (at the same time) that knows most of them knows, their
        indices in that answer, and the answer."""
        with self._lock:
            candidates = [a for a in reversed(self._recent) if a.at == at]
        best: tuple[int, NDArray[np.bool_], NDArray[np.intp], _Answered] | None = None
        for answered in candidates:
            if answered.sorted_keys.size == 0:
                continue
            # sorted needles: a searchsorted that walks both arrays in order, several times faster
            pos = np.empty(keys.size, dtype=np.intp)
            pos[key_order] = np.searchsorted(answered.sorted_keys, keys[key_order])
            pos = np.minimum(pos, answered.sorted_keys.size - 1)
            old = answered.key_order[pos]
            known = (answered.sorted_keys[pos] == keys) & (answered.bits[old] == bits).all(axis=1)
            count = int(known.sum())
            if best is None or count > best[0]:
                best = (count, known, old, answered)
            if count == keys.size:
                break
        if best is None or best[0] == 0:
            return np.zeros(keys.size, dtype=bool), np.empty(0, dtype=np.intp), None
        _, known, old, answered = best
        return known, old[known], answered

    def _remember(
        self,
        bits: NDArray[np.uint64],
        keys: NDArray[np.uint64],
        key_order: NDArray[np.intp],
        at: datetime | None,
        hits: PointHits,
    ) -> None:
        count = np.bincount(hits.point_idx, minlength=keys.size).astype(np.int64)
        answered = _Answered(
            at=at,
            bits=bits.copy(),
            sorted_keys=keys[key_order],
            key_order=key_order,
            hit_start=np.cumsum(count) - count,
            hit_count=count,
            volume_idx=hits.volume_idx,
            uncertain=hits.uncertain,
        )
        with self._lock:
            self._recent.append(answered)


def _no_hits() -> PointHits:
    empty = np.empty(0, dtype=np.int64)
    return PointHits(empty, empty, np.empty(0, dtype=bool))
