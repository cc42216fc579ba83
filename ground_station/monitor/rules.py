"""Monitoring rules as pure functions: what is wrong with a vehicle right now, or soon.

Each returns ``Finding``s; the monitor turns them into de-duplicated alerts. Geographic rules run
vectorised over every vehicle that moved (current position plus its look-ahead points) so that one
zone-index and one border query serve the whole fleet.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from geodata.errors import OutsideCoverageError
from geodata.zones.model import Restriction
from ground_station.bus.messages import (
    AlertKind,
    AlertSeverity,
    BatteryMsg,
    LinkMsg,
    MissionProgressMsg,
    PositionMsg,
    StatusMsg,
)
from ground_station.links.px4_modes import AUTO_MISSION
from ground_station.monitor.geometry import distance_m, distance_to_segment_m, offset_lonlat

FAILSAFE_SYSTEM_STATUS = frozenset({"CRITICAL", "EMERGENCY", "FLIGHT_TERMINATION"})
NAV_COMMANDS_WITH_POSITION = frozenset({16, 17, 18, 19, 21, 22, 31})  # WAYPOINT, LOITER*, LAND, TAKEOFF


@dataclass(frozen=True)
class MonitorConfig:
    lookahead_s: float = 30.0
    lookahead_step_s: float = 5.0
    border_warn_m: float = 300.0
    height_limit_agl_m: float = 120.0
    terrain_clearance_m: float = 15.0
    terrain_check_min_alt_rel_m: float = 5.0
    mission_corridor_m: float = 50.0
    battery_reserve_pct: float = 15.0
    battery_pct_per_km: float = 5.0
    clear_after_s: float = 5.0
    evaluation_interval_s: float = 0.1
    zone_restrictions: frozenset[Restriction] = frozenset(
        {Restriction.PROHIBITED, Restriction.REQ_AUTHORISATION}
    )

    @property
    def lookahead_times_s(self) -> list[float]:
        steps = max(1, int(self.lookahead_s / self.lookahead_step_s))
        return [self.lookahead_step_s * (k + 1) for k in range(steps)]


@dataclass(frozen=True)
class Finding:
    kind: AlertKind
    severity: AlertSeverity
    key: str
    """Identifies the condition within a vehicle, for de-duplication (e.g. ``zone:CZ-1:predicted``)."""
    values: dict[str, Any]
    predicted: bool = False
    zone_id: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass
class VehicleContext:
    """The latest of everything the rules read about one vehicle (kept by the monitor from the bus)."""

    vehicle_id: str
    position: PositionMsg | None = None
    status: StatusMsg | None = None
    battery: BatteryMsg | None = None
    link: LinkMsg | None = None
    progress: MissionProgressMsg | None = None
    waypoints: list[tuple[int, float, float]] = field(default_factory=list)
    """(seq, lon, lat) of the uploaded mission's positional items."""
    country: str | None = None
    last_failsafe_text: str | None = None

    @property
    def airborne(self) -> bool:
        return bool(self.status is not None and (self.status.in_air or self.status.armed))


class RegionLike(Protocol):
    """What the rules use of ``geodata.atlas.Region``."""

    zones: Any
    border: Any
    terrain: Any


# -- non-geographic rules ---------------------------------------------------------------------------


def link_rule(ctx: VehicleContext) -> list[Finding]:
    link = ctx.link
    # Link lost means "was up, then silent": before the first heartbeat there is nothing to lose.
    if link is None or link.connected or ctx.status is None or link.last_heartbeat_age_s is None:
        return []
    severity = AlertSeverity.CRITICAL if ctx.airborne else AlertSeverity.WARNING
    seconds = link.last_heartbeat_age_s or 0.0
    return [
        Finding(AlertKind.LINK_LOST, severity, "link", {"seconds": seconds}, lon=_lon(ctx), lat=_lat(ctx))
    ]


def failsafe_rule(ctx: VehicleContext) -> list[Finding]:
    status = ctx.status
    if status is None or not status.armed or status.system_status not in FAILSAFE_SYSTEM_STATUS:
        return []
    detail = ctx.last_failsafe_text or f"system status {status.system_status}"
    # One alert per failsafe mode: HOLD -> RTL after COM_FAIL_ACT_T is a new alert ("mode change").
    return [
        Finding(
            AlertKind.FAILSAFE,
            AlertSeverity.CRITICAL,
            f"failsafe:{status.flight_mode}",
            {"mode": status.flight_mode, "detail": detail},
            lon=_lon(ctx),
            lat=_lat(ctx),
        )
    ]


def battery_rule(ctx: VehicleContext, config: MonitorConfig) -> list[Finding]:
    """Remaining charge against a linear estimate of what returning home costs."""
    status, battery, position = ctx.status, ctx.battery, ctx.position
    if battery is None or battery.remaining_pct is None or not ctx.airborne or position is None:
        return []
    if status is None or status.home_lon is None or status.home_lat is None:
        distance = 0.0
    else:
        distance = distance_m(position.lon, position.lat, status.home_lon, status.home_lat)
    needed = config.battery_reserve_pct + config.battery_pct_per_km * distance / 1000.0
    if battery.remaining_pct >= needed:
        return []
    severity = (
        AlertSeverity.CRITICAL
        if battery.remaining_pct < config.battery_reserve_pct
        else AlertSeverity.WARNING
    )
    values = {"remaining": battery.remaining_pct, "needed": needed, "distance": distance}
    return [Finding(AlertKind.LOW_BATTERY, severity, "battery", values, lon=position.lon, lat=position.lat)]


def mission_deviation_rule(ctx: VehicleContext, config: MonitorConfig) -> list[Finding]:
    """Distance from the leg being flown (previous positional item -> current one) in AUTO.MISSION."""
    position, status, progress = ctx.position, ctx.status, ctx.progress
    if (
        position is None
        or status is None
        or progress is None
        or status.flight_mode != AUTO_MISSION
        or not status.in_air
        or len(ctx.waypoints) < 2
    ):
        return []
    target = next((w for w in ctx.waypoints if w[0] >= progress.current), None)
    if target is None:
        return []
    previous = [w for w in ctx.waypoints if w[0] < target[0]]
    if not previous:
        return []
    start = previous[-1]
    off = distance_to_segment_m(position.lon, position.lat, (start[1], start[2]), (target[1], target[2]))
    if off <= config.mission_corridor_m:
        return []
    return [
        Finding(
            AlertKind.MISSION_DEVIATION,
            AlertSeverity.WARNING,
            "mission",
            {"distance": off},
            lon=position.lon,
            lat=position.lat,
        )
    ]


# -- geographic rules (vectorised) ------------------------------------------------------------------


def geo_rules(
    contexts: list[VehicleContext], region: RegionLike, config: MonitorConfig, now: dt.datetime
) -> dict[str, list[Finding]]:
    """Zones, border, height and terrain for every context that has a position, in one batch."""
    moving = [c for c in contexts if c.position is not None and c.airborne]
    out: dict[str, list[Finding]] = {c.vehicle_id: [] for c in contexts}
    if not moving:
        return out
    times = np.array([0.0, *config.lookahead_times_s])
    n_t = times.size
    lon0 = np.array([c.position.lon for c in moving])  # type: ignore[union-attr]
    lat0 = np.array([c.position.lat for c in moving])  # type: ignore[union-attr]
    alt0 = np.array([c.position.alt_amsl_m for c in moving])  # type: ignore[union-attr]
    vn = np.array([c.position.vn_mps for c in moving])  # type: ignore[union-attr]
    ve = np.array([c.position.ve_mps for c in moving])  # type: ignore[union-attr]
    vd = np.array([c.position.vd_mps for c in moving])  # type: ignore[union-attr]
    # points laid out vehicle-major: vehicle i, time k -> i * n_t + k
    t = np.tile(times, len(moving))
    lon, lat = offset_lonlat(
        np.repeat(lon0, n_t), np.repeat(lat0, n_t), np.repeat(vn, n_t) * t, np.repeat(ve, n_t) * t
    )
    alt = np.repeat(alt0, n_t) - np.repeat(vd, n_t) * t
    ground = _ground(region, lon, lat)
    for i, ctx in enumerate(moving):
        out[ctx.vehicle_id].extend(
            _height_findings(
                ctx,
                ground[i * n_t : (i + 1) * n_t],
                alt[i * n_t],
                times,
                alt[i * n_t : (i + 1) * n_t],
                config,
            )
        )
    _zone_findings(moving, region, config, now, lon, lat, alt, ground, times, out)
    _border_findings(moving, region, config, lon, lat, times, out)
    return out


def _ground(region: RegionLike, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Terrain elevation, NaN where no real DEM knows it (the flat fallback reports NaN accuracy).

    Only "outside coverage" means NaN here; any other failure (an unreadable DEM) propagates so that the
    monitor raises its MONITORING_DEGRADED alert instead of quietly treating the terrain as unknown."""
    try:
        sample = region.terrain.sample(lon, lat)
    except OutsideCoverageError:  # outside coverage must not stop the other rules
        return np.full(lon.shape, np.nan)
    elevation = np.asarray(sample.elevation_amsl_m, dtype=np.float64)
    accuracy = np.asarray(sample.accuracy_m, dtype=np.float64)
    return np.where(np.isnan(accuracy), np.nan, elevation)


def _height_findings(
    ctx: VehicleContext,
    ground: np.ndarray,
    alt_now: float,
    times: np.ndarray,
    alts: np.ndarray,
    config: MonitorConfig,
) -> list[Finding]:
    pos = ctx.position
    assert pos is not None
    findings: list[Finding] = []
    terrain_known = not math.isnan(float(ground[0]))
    agl_now = alt_now - float(ground[0]) if terrain_known else pos.alt_rel_m
    if agl_now > config.height_limit_agl_m:
        values = {"height": agl_now, "limit": config.height_limit_agl_m}
        findings.append(
            Finding(
                AlertKind.HEIGHT_ABOVE_LIMIT,
                AlertSeverity.WARNING,
                "height",
                values,
                lon=pos.lon,
                lat=pos.lat,
            )
        )
    in_air = ctx.status is not None and ctx.status.in_air
    if not in_air or pos.alt_rel_m < config.terrain_check_min_alt_rel_m:
        return findings
    agl = alts - ground
    if terrain_known and agl_now < config.terrain_clearance_m:
        findings.append(
            Finding(
                AlertKind.TERRAIN_PROXIMITY,
                AlertSeverity.CRITICAL,
                "terrain",
                {"height": agl_now, "seconds": 0.0},
                lon=pos.lon,
                lat=pos.lat,
            )
        )
        return findings
    low = np.nonzero(agl[1:] < config.terrain_clearance_m)[0]
    if low.size:
        k = int(low[0]) + 1
        values = {"height": float(agl[k]), "seconds": float(times[k])}
        findings.append(
            Finding(
                AlertKind.TERRAIN_PROXIMITY,
                AlertSeverity.WARNING,
                "terrain:predicted",
                values,
                predicted=True,
                lon=pos.lon,
                lat=pos.lat,
            )
        )
    return findings


def _zone_findings(
    moving: list[VehicleContext],
    region: RegionLike,
    config: MonitorConfig,
    now: dt.datetime,
    lon: np.ndarray,
    lat: np.ndarray,
    alt: np.ndarray,
    ground: np.ndarray,
    times: np.ndarray,
    out: dict[str, list[Finding]],
) -> None:
    n_t = times.size
    hits = region.zones.bulk_hits_detailed(lon, lat, alt, ground_amsl_m=ground, at=now)
    zones = region.zones.zones
    first_hit: dict[tuple[int, int], tuple[int, bool]] = {}  # (vehicle, zone) -> (earliest k, uncertain)
    for point, zone_index, uncertain in zip(
        hits.point_idx.tolist(), hits.zone_idx.tolist(), hits.uncertain.tolist(), strict=True
    ):
        if zones[zone_index].restriction not in config.zone_restrictions:
            continue
        vehicle, k = divmod(point, n_t)
        key = (vehicle, zone_index)
        best = first_hit.get(key)
        if best is None or k < best[0]:
            first_hit[key] = (k, bool(uncertain))
    for (vehicle, zone_index), (k, uncertain) in first_hit.items():
        ctx = moving[vehicle]
        zone = zones[zone_index]
        prohibited = zone.restriction is Restriction.PROHIBITED
        predicted = k > 0
        if predicted:
            severity = AlertSeverity.WARNING
        else:
            severity = AlertSeverity.CRITICAL if prohibited and not uncertain else AlertSeverity.WARNING
        values = {
            "zone": zone.name or zone.identifier,
            "restriction": zone.restriction.value,
            "seconds": float(times[k]),
        }
        out[ctx.vehicle_id].append(
            Finding(
                AlertKind.ZONE_ENTRY,
                severity,
                f"zone:{zone.identifier}:{'predicted' if predicted else 'actual'}",
                values,
                predicted=predicted,
                zone_id=zone.identifier,
                lon=float(lon[vehicle * n_t + k]),
                lat=float(lat[vehicle * n_t + k]),
            )
        )


def _border_findings(
    moving: list[VehicleContext],
    region: RegionLike,
    config: MonitorConfig,
    lon: np.ndarray,
    lat: np.ndarray,
    times: np.ndarray,
    out: dict[str, list[Finding]],
) -> None:
    n_t = times.size
    countries = region.border.country_at(lon, lat)
    now_idx = np.arange(len(moving)) * n_t
    distances = region.border.distance_to_border_m(lon[now_idx], lat[now_idx])
    for i, ctx in enumerate(moving):
        pos = ctx.position
        assert pos is not None
        here = str(countries[i * n_t])
        if ctx.country is not None and here and here != ctx.country:
            out[ctx.vehicle_id].append(
                Finding(
                    AlertKind.BORDER_CROSSING,
                    AlertSeverity.WARNING,
                    f"crossing:{here}",
                    {"country": here},
                    lon=pos.lon,
                    lat=pos.lat,
                )
            )
        if here:
            ctx.country = here
        distance = float(distances[i])
        if not math.isnan(distance) and distance < config.border_warn_m:
            out[ctx.vehicle_id].append(
                Finding(
                    AlertKind.BORDER_APPROACH,
                    AlertSeverity.INFO,
                    "border",
                    {"distance": distance},
                    lon=pos.lon,
                    lat=pos.lat,
                )
            )
        future = countries[i * n_t + 1 : (i + 1) * n_t]
        changes = np.nonzero((future != here) & (future != ""))[0] if here else np.array([], dtype=np.int64)
        if changes.size:
            k = int(changes[0]) + 1
            values = {"country": str(future[k - 1]), "seconds": float(times[k])}
            out[ctx.vehicle_id].append(
                Finding(
                    AlertKind.BORDER_APPROACH,
                    AlertSeverity.WARNING,
                    "border:predicted",
                    values,
                    predicted=True,
                    lon=float(lon[i * n_t + k]),
                    lat=float(lat[i * n_t + k]),
                )
            )


def _lon(ctx: VehicleContext) -> float | None:
    return ctx.position.lon if ctx.position else None


def _lat(ctx: VehicleContext) -> float | None:
    return ctx.position.lat if ctx.position else None
