"""MISB ST 0601 UAS Datalink Local Set: the KLV a drone sends with its video (design contract 14).

Our own codec of the subset the station uses: precision time stamp (tag 2), platform heading / pitch /
roll (5, 6, 7), sensor latitude / longitude / true altitude (13, 14, 15), horizontal / vertical field of
view (16, 17), sensor relative azimuth / elevation / roll (18, 19, 20), frame centre latitude /
longitude / elevation (23, 24, 25) and the LS version (65), closed by the checksum (tag 1).

Why these choices:

* Integer mappings are the standard's: a float range [a, b] is scaled onto the full unsigned range, or
  onto the symmetric signed range with the most negative value reserved as "out of range / error"
  (ST 0601 Table 1). Decoding returns ``None`` for that reserved value instead of a wrong number.
* The checksum is the one ST 0601 defines (section "Checksum"): a 16-bit running sum of big-endian
  byte pairs over the whole packet, from the first byte of the 16-byte key up to and including the
  checksum item's tag and length bytes. A packet whose sum does not match is refused (``KlvChecksumError``)
  because a corrupt position is worse than none.
* Unknown tags are skipped (ST 0601 asks receivers to ignore what they do not know), so KLV from real
  drones with many more items decodes; a packet that runs past its declared length is an error.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

ST0601_KEY = bytes.fromhex("060E2B34020B01010E01030101000000")
ST0601_VERSION = 19  # ST 0601.19
MAX_KLV_PACKET_BYTES = 64 * 1024

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class KlvError(ValueError):
    """KLV that cannot be read: says which byte or tag and why."""


class KlvChecksumError(KlvError):
    """A packet whose ST 0601 checksum does not match its bytes."""


@dataclass(frozen=True)
class UasDatalinkSample:
    """One ST 0601 packet's values in SI units; ``None`` where the packet did not carry the item.

    Altitudes are ST 0601's "true altitude": above mean sea level (our ``AMSL``, contract 1).
    Angles in degrees: heading 0-360 clockwise from true north; pitch up positive; sensor relative
    angles are the gimbal's, relative to the platform (azimuth clockwise, elevation up positive).
    """

    precision_time_utc: datetime | None = None
    platform_heading_deg: float | None = None
    platform_pitch_deg: float | None = None
    platform_roll_deg: float | None = None
    sensor_lat: float | None = None
    sensor_lon: float | None = None
    sensor_alt_amsl_m: float | None = None
    hfov_deg: float | None = None
    vfov_deg: float | None = None
    sensor_rel_azimuth_deg: float | None = None
    sensor_rel_elevation_deg: float | None = None
    sensor_rel_roll_deg: float | None = None
    frame_center_lat: float | None = None
    frame_center_lon: float | None = None
    frame_center_elev_amsl_m: float | None = None
    ls_version: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class _Mapping:
    """A float range mapped onto a fixed-size integer as ST 0601 prescribes."""

    size: int
    signed: bool
    low: float
    high: float

    @property
    def _span(self) -> int:
        # Signed items use -(2^(n-1)-1) .. 2^(n-1)-1; unsigned 0 .. 2^n-1.
        return (1 << (8 * self.size)) - 2 if self.signed else (1 << (8 * self.size)) - 1

    def encode(self, value: float) -> bytes:
        if not math.isfinite(value) or not self.low <= value <= self.high:
            if self.signed:
                return (1 << (8 * self.size - 1)).to_bytes(self.size, "big")  # reserved "out of range"
            raise KlvError(f"value {value} outside {self.low}..{self.high}")
        if self.signed:
            integer = round(value * self._span / (self.high - self.low))
            return integer.to_bytes(self.size, "big", signed=True)
        integer = round((value - self.low) * self._span / (self.high - self.low))
        return integer.to_bytes(self.size, "big")

    def decode(self, raw: bytes, tag: int) -> float | None:
        if len(raw) != self.size:
            raise KlvError(f"tag {tag}: value of {len(raw)} bytes, expected {self.size}")
        if self.signed:
            integer = int.from_bytes(raw, "big", signed=True)
            if integer == -(1 << (8 * self.size - 1)):
                return None
            return integer * (self.high - self.low) / self._span
        return self.low + int.from_bytes(raw, "big") * (self.high - self.low) / self._span


_ANGLE_360_U16 = _Mapping(2, False, 0.0, 360.0)
_ANGLE_360_U32 = _Mapping(4, False, 0.0, 360.0)
_ALT_U16 = _Mapping(2, False, -900.0, 19000.0)
_FOV_U16 = _Mapping(2, False, 0.0, 180.0)
_LAT_I32 = _Mapping(4, True, -90.0, 90.0)
_LON_I32 = _Mapping(4, True, -180.0, 180.0)

_FLOAT_TAGS: dict[int, tuple[str, _Mapping]] = {
    5: ("platform_heading_deg", _ANGLE_360_U16),
    6: ("platform_pitch_deg", _Mapping(2, True, -20.0, 20.0)),
    7: ("platform_roll_deg", _Mapping(2, True, -50.0, 50.0)),
    13: ("sensor_lat", _LAT_I32),
    14: ("sensor_lon", _LON_I32),
    15: ("sensor_alt_amsl_m", _ALT_U16),
    16: ("hfov_deg", _FOV_U16),
    17: ("vfov_deg", _FOV_U16),
    18: ("sensor_rel_azimuth_deg", _ANGLE_360_U32),
    19: ("sensor_rel_elevation_deg", _LON_I32),
    20: ("sensor_rel_roll_deg", _ANGLE_360_U32),
    23: ("frame_center_lat", _LAT_I32),
    24: ("frame_center_lon", _LON_I32),
    25: ("frame_center_elev_amsl_m", _ALT_U16),
}
_WRAP_360 = {"platform_heading_deg", "sensor_rel_azimuth_deg", "sensor_rel_roll_deg"}


def running_sum_16(data: bytes) -> int:
    """ST 0601's checksum: the sum of big-endian 16-bit words (odd tail padded with zero), mod 2^16."""
    total = 0
    for i, byte in enumerate(data):
        total += byte << 8 if i % 2 == 0 else byte
    return total & 0xFFFF


def ber_length(length: int) -> bytes:
    """BER definite length: short form below 128, else 0x80|n followed by n big-endian bytes."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def read_ber_length(data: bytes, pos: int) -> tuple[int, int]:
    """(length, position after the length field); KlvError if truncated or indefinite."""
    if pos >= len(data):
        raise KlvError(f"KLV truncated: no length byte at {pos}")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 8:
        raise KlvError(f"BER length at byte {pos} uses {count} bytes (1-8 allowed, indefinite refused)")
    if pos + 1 + count > len(data):
        raise KlvError(f"KLV truncated in a {count}-byte BER length at byte {pos}")
    return int.from_bytes(data[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def _item(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + ber_length(len(value)) + value


def encode_st0601(sample: UasDatalinkSample) -> bytes:
    """The complete ST 0601 packet (key, length, items with the time stamp first, checksum last)."""
    body = bytearray()
    when = sample.precision_time_utc or datetime.now(UTC)
    micros = (when - _EPOCH) // timedelta(microseconds=1)
    body += _item(2, struct.pack(">Q", micros))
    for tag, (name, mapping) in _FLOAT_TAGS.items():
        value = getattr(sample, name)
        if value is None:
            continue
        if name in _WRAP_360:
            value = value % 360.0
        body += _item(tag, mapping.encode(float(value)))
    body += _item(65, bytes([sample.ls_version if sample.ls_version is not None else ST0601_VERSION]))
    length = len(body) + 4  # checksum item: tag, length, 2 bytes
    head = ST0601_KEY + ber_length(length) + bytes(body) + b"\x01\x02"
    return head + struct.pack(">H", running_sum_16(head))


def decode_st0601(packet: bytes) -> UasDatalinkSample:
    """Reads one packet that starts with the ST 0601 key; KlvError/KlvChecksumError when it is bad."""
    if len(packet) > MAX_KLV_PACKET_BYTES:
        raise KlvError(f"KLV packet of {len(packet)} bytes exceeds the {MAX_KLV_PACKET_BYTES}-byte limit")
    if not packet.startswith(ST0601_KEY):
        raise KlvError(f"not an ST 0601 packet: key {packet[:16].hex()} is not {ST0601_KEY.hex()}")
    length, pos = read_ber_length(packet, 16)
    end = pos + length
    if end > len(packet):
        raise KlvError(f"ST 0601 packet declares {length} bytes but only {len(packet) - pos} follow")
    values: dict[str, object] = {}
    checksum_seen = False
    while pos < end:
        tag = packet[pos]
        if tag & 0x80:
            raise KlvError(f"multi-byte (BER-OID) tag at byte {pos} is not used by the items we read")
        item_len, vpos = read_ber_length(packet, pos + 1)
        if vpos + item_len > end:
            raise KlvError(f"tag {tag} at byte {pos}: {item_len}-byte value runs past the packet end")
        raw = packet[vpos : vpos + item_len]
        if tag == 1:
            if item_len != 2 or vpos + 2 != end:
                raise KlvError("checksum item (tag 1) must be the last item and 2 bytes long")
            expected = running_sum_16(packet[:vpos])
            got = struct.unpack(">H", raw)[0]
            if got != expected:
                raise KlvChecksumError(f"ST 0601 checksum 0x{got:04x}, computed 0x{expected:04x}")
            checksum_seen = True
        elif tag == 2:
            if item_len != 8:
                raise KlvError(f"tag 2: time stamp of {item_len} bytes, expected 8")
            values["precision_time_utc"] = _EPOCH + timedelta(microseconds=struct.unpack(">Q", raw)[0])
        elif tag == 65:
            if item_len != 1:
                raise KlvError(f"tag 65: LS version of {item_len} bytes, expected 1")
            values["ls_version"] = raw[0]
        elif tag in _FLOAT_TAGS:
            name, mapping = _FLOAT_TAGS[tag]
            values[name] = mapping.decode(raw, tag)
        pos = vpos + item_len
    if not checksum_seen:
        raise KlvError("ST 0601 packet has no checksum item (tag 1)")
    return UasDatalinkSample(**values)  # type: ignore[arg-type]


def find_st0601(payload: bytes, on_error: Callable[[str], None] | None = None) -> UasDatalinkSample | None:
    """The sample of a payload that carries an ST 0601 packet, ``None`` when it carries another kind."""
    if not payload.startswith(ST0601_KEY):
        return None
    try:
        return decode_st0601(payload)
    except KlvError as exc:
        if on_error is None:
            raise
        on_error(str(exc))
        return None
