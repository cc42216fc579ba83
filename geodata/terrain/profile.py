"""Where along a path terrain is sampled: the vertices, plus evenly spaced points on each leg."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.crs import distance_m
from geodata.errors import InputError, Problem

FloatArray = NDArray[np.float64]


def densify_path(
    lon: ArrayLike, lat: ArrayLike, spacing_m: float
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.intp]]:
    """Returns (lon, lat, distance along the path in m, index of each input vertex).

    Points between vertices are interpolated linearly in lon/lat. Over legs of a drone mission (a few km)
    that line departs from the geodesic by centimetres, far below any DEM's accuracy; distances are geodesic.
    """
    lons = np.atleast_1d(np.asarray(lon, dtype=np.float64)).ravel()
    lats = np.atleast_1d(np.asarray(lat, dtype=np.float64)).ravel()
    problems: list[Problem] = []
    if lons.shape != lats.shape:
        problems.append(Problem("path", f"{lons.size} longitudes but {lats.size} latitudes"))
    elif lons.size == 0:
        problems.append(Problem("path", "no vertices"))
    elif not (np.isfinite(lons).all() and np.isfinite(lats).all()):
        bad = int(np.flatnonzero(~(np.isfinite(lons) & np.isfinite(lats)))[0])
        problems.append(Problem(f"path[{bad}]", "coordinate is not a finite number"))
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        problems.append(Problem("spacing_m", f"must be a positive number of metres, got {spacing_m!r}"))
    if problems:
        raise InputError("<profile>", problems)
    if lons.size == 1:
        return lons.copy(), lats.copy(), np.zeros(1), np.zeros(1, dtype=np.intp)

    leg_length = distance_m(lons[:-1], lats[:-1], lons[1:], lats[1:])
    steps = np.maximum(np.ceil(leg_length / spacing_m).astype(np.intp), 1)
    leg_of_point = np.repeat(np.arange(steps.size), steps)
    first_of_leg = np.concatenate([[0], np.cumsum(steps)[:-1]])
    fraction = (np.arange(leg_of_point.size) - first_of_leg[leg_of_point]) / steps[leg_of_point]
    start_distance = np.concatenate([[0.0], np.cumsum(leg_length)[:-1]])

    out_lon = np.append(
        lons[leg_of_point] + fraction * (lons[leg_of_point + 1] - lons[leg_of_point]), lons[-1]
    )
    out_lat = np.append(
        lats[leg_of_point] + fraction * (lats[leg_of_point + 1] - lats[leg_of_point]), lats[-1]
    )
    out_distance = np.append(
        start_distance[leg_of_point] + fraction * leg_length[leg_of_point], float(leg_length.sum())
    )
    vertex_index = np.append(first_of_leg, leg_of_point.size).astype(np.intp)
    return out_lon, out_lat, out_distance, vertex_index
