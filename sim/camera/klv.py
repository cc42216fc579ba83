"""The simulator's MISB ST 0601 writer: the KLV a real drone would send with each picture.

Written independently of the station's reader (``ground_station.video.klv``) on purpose: the tests
then prove two implementations of the standard agree, as a real drone and the station must. Mappings
per ST 0601: a float range onto the full unsigned range, or onto the symmetric signed range with the
most negative value reserved for "out of range"; checksum = 16-bit running sum of big-endian byte
pairs from the key through the checksum item's length byte.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

UAS_LS_KEY = bytes.fromhex("060E2B34020B01010E01030101000000")
UAS_LS_VERSION = 19
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class KlvPose:
    """Platform and sensor state at the moment a picture is taken."""

    time_utc: datetime
    platform_heading_deg: float
    platform_pitch_deg: float
    platform_roll_deg: float
    lat: float
    lon: float
    alt_amsl_m: float
    hfov_deg: float
    vfov_deg: float
    gimbal_rel_azimuth_deg: float
    gimbal_rel_elevation_deg: float
    frame_center_lat: float | None = None
    frame_center_lon: float | None = None
    frame_center_elev_amsl_m: float | None = None


def _unsigned(value: float, low: float, high: float, size: int) -> bytes:
    top = (1 << (8 * size)) - 1
    clamped = min(max(value, low), high)
    return round((clamped - low) / (high - low) * top).to_bytes(size, "big")


def _signed(value: float, half_range: float, size: int) -> bytes:
    if not math.isfinite(value) or abs(value) > half_range:
        return (1 << (8 * size - 1)).to_bytes(size, "big")  # "out of range" marker
    top = (1 << (8 * size - 1)) - 1
    return round(value / half_range * top).to_bytes(size, "big", signed=True)


def _tlv(tag: int, value: bytes) -> bytes:
    assert len(value) < 128
    return bytes([tag, len(value)]) + value


def frame_center(
    lat: float, lon: float, alt_amsl_m: float, heading_deg: float, pitch_deg: float, ground_amsl_m: float
) -> tuple[float, float] | None:
    """Where the optical axis meets flat ground at ``ground_amsl_m``; None when it looks at the sky."""
    height = alt_amsl_m - ground_amsl_m
    if pitch_deg >= -0.5 or height <= 0:
        return None
    distance = height / math.tan(math.radians(-pitch_deg))
    north = distance * math.cos(math.radians(heading_deg))
    east = distance * math.sin(math.radians(heading_deg))
    dlat = math.degrees(north / EARTH_RADIUS_M)
    dlon = math.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def encode_uas_local_set(pose: KlvPose) -> bytes:
    """One complete ST 0601 packet: key, BER length, items (time stamp first), checksum last."""
    micros = round((pose.time_utc - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1e6)
    items = [
        _tlv(2, struct.pack(">Q", micros)),
        _tlv(5, _unsigned(pose.platform_heading_deg % 360.0, 0.0, 360.0, 2)),
        _tlv(6, _signed(pose.platform_pitch_deg, 20.0, 2)),
        _tlv(7, _signed(pose.platform_roll_deg, 50.0, 2)),
        _tlv(13, _signed(pose.lat, 90.0, 4)),
        _tlv(14, _signed(pose.lon, 180.0, 4)),
        _tlv(15, _unsigned(pose.alt_amsl_m, -900.0, 19000.0, 2)),
        _tlv(16, _unsigned(pose.hfov_deg, 0.0, 180.0, 2)),
        _tlv(17, _unsigned(pose.vfov_deg, 0.0, 180.0, 2)),
        _tlv(18, _unsigned(pose.gimbal_rel_azimuth_deg % 360.0, 0.0, 360.0, 4)),
        _tlv(19, _signed(pose.gimbal_rel_elevation_deg, 180.0, 4)),
        _tlv(20, _unsigned(0.0, 0.0, 360.0, 4)),
    ]
    if pose.frame_center_lat is not None and pose.frame_center_lon is not None:
        items.append(_tlv(23, _signed(pose.frame_center_lat, 90.0, 4)))
        items.append(_tlv(24, _signed(pose.frame_center_lon, 180.0, 4)))
    if pose.frame_center_elev_amsl_m is not None:
        items.append(_tlv(25, _unsigned(pose.frame_center_elev_amsl_m, -900.0, 19000.0, 2)))
    items.append(_tlv(65, bytes([UAS_LS_VERSION])))
    body = b"".join(items)
    length = len(body) + 4
    assert length < 128  # short-form BER is enough for this item set
    head = UAS_LS_KEY + bytes([length]) + body + b"\x01\x02"
    total = 0
    for i in range(0, len(head), 2):
        total += (head[i] << 8) | (head[i + 1] if i + 1 < len(head) else 0)
    return head + struct.pack(">H", total & 0xFFFF)
