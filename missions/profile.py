"""The altitude profile a pilot looks at before take-off: path and terrain along the distance flown, with
the vertical band of every zone the path passes over shaded where it passes over it.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import shapely
from shapely.geometry import LineString

from geodata.vertical import VerticalRef
from geodata.zones.model import Restriction, Zone
from missions.model import Mission
from missions.path import build_vertices, leg_lengths_m, sample_legs
from missions.region import RegionLike

_COLOURS = {
    Restriction.PROHIBITED: "#d62728",
    Restriction.REQ_AUTHORISATION: "#ff7f0e",
    Restriction.CONDITIONAL: "#1f77b4",
    Restriction.NO_RESTRICTION: "#7f7f7f",
}
_MAX_ZONES_SHOWN = 12


def _band_amsl(value_m: float, ref: VerticalRef, ground: np.ndarray) -> np.ndarray:
    """A zone limit as AMSL along the profile (AGL follows the terrain; WGS84/STD approximated as AMSL)."""
    if math.isinf(value_m):
        return np.full(ground.shape, np.nan)
    return ground + value_m if ref is VerticalRef.AGL else np.full(ground.shape, value_m)


def render_profile_png(mission: Mission, region: RegionLike, path: Path, *, spacing_m: float = 20.0) -> Path:
    """Writes the profile PNG to ``path`` and returns it."""
    vertices = build_vertices(mission, region.terrain)
    samples = sample_legs(vertices, spacing_m)
    if region.terrain is not None:
        ground = np.asarray(
            region.terrain.sample(samples.lon, samples.lat).elevation_amsl_m, dtype=np.float64
        )
    else:
        ground = np.full(samples.size, np.nan)
    km = samples.distance_m / 1000.0

    fig, ax = plt.subplots(figsize=(11, 4.5), dpi=100)
    top = float(np.nanmax(np.concatenate([samples.alt_amsl_m, ground, [0.0]])))
    bottom = float(np.nanmin(np.concatenate([ground, samples.alt_amsl_m, [top]])))
    shown = 0
    zones: list[Zone] = []
    if samples.size >= 2:
        track = LineString(np.column_stack([samples.lon, samples.lat])).buffer(1e-6)
        zones = list(region.zones.in_area(track, at=mission.planned_start))
    for zone in zones:
        if shown >= _MAX_ZONES_SHOWN:
            break
        colour = _COLOURS.get(zone.restriction, "#7f7f7f")
        labelled = False
        for volume in zone.volumes:
            inside = shapely.intersects_xy(volume.footprint, samples.lon, samples.lat)
            if not inside.any():
                continue
            base = np.where(np.isnan(ground), np.nanmin(ground) if np.isfinite(ground).any() else 0.0, ground)
            lower = _band_amsl(volume.lower.value_m, volume.lower.ref, base)
            upper = _band_amsl(volume.upper.value_m, volume.upper.ref, base)
            upper = np.where(np.isnan(upper), top + 200.0, upper)
            ax.fill_between(
                km,
                lower,
                upper,
                where=inside,
                color=colour,
                alpha=0.18,
                step="mid",
                label=None if labelled else f"{zone.name or zone.identifier} ({zone.restriction.value})",
            )
            labelled = True
        shown += 1 if labelled else 0
    ax.fill_between(km, bottom - 50.0, ground, color="#8c6d31", alpha=0.55, label="terrain")
    ax.plot(km, samples.alt_amsl_m, color="black", linewidth=1.6, label="planned path")
    horizontal, _vertical = leg_lengths_m(vertices)
    vertex_km = np.concatenate([[0.0], np.cumsum(np.nan_to_num(horizontal))]) / 1000.0
    ax.plot(vertex_km, vertices.alt_amsl_m, "o", color="black", markersize=3)
    ax.set_xlabel("distance along the path (km)")
    ax.set_ylabel("altitude (m AMSL)")
    ax.set_ylim(bottom - 50.0, top + 100.0)
    title = mission.name or "mission profile"
    ax.set_title(f"{title}: path over terrain, zone bands shaded")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
