"""MAVLink 2 message signing on the station's side of a vehicle link.

Pinning a vehicle to an address (``peers.py``) stops strangers on other addresses, not one that forges
the vehicle's address or wins the race before its first heartbeat. Signing does: each frame carries
``link_id`` (1 byte), a 48-bit timestamp (10 us units since 2015-01-01 UTC) and the first 6 bytes of
SHA-256(secret key + frame up to the timestamp). A frame is accepted when its signature matches and its
timestamp is newer than the last one of the same stream (link id, system, component), so a recorded
frame cannot be replayed; a stream new to us may be at most a minute older than our clock.

The router verifies frames from a signed vehicle and refuses unsigned or badly signed ones; it strips the
signature (and fixes the CRC) before relaying to MAVSDK, which holds no key, and signs what MAVSDK and
the station send to the vehicle. Keys are 32 random bytes, one per vehicle, made and installed by
``borderwatch vehicle signing-setup`` (``signing_setup.py``) and kept in ``<data_dir>/signing/``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from pathlib import Path

from ground_station.links.framing import (
    CHECKSUM_LEN,
    CRC_EXTRA,
    INCOMPAT_FLAG_SIGNED,
    MAVLINK_V2_MAGIC,
    SIGNATURE_LEN,
    V2_HEADER_LEN,
    Frame,
    mavlink_crc,
)

KEY_LEN = 32
EPOCH_2015_UNIX_S = 1_420_070_400
NEW_STREAM_MAX_AGE = 60 * 100_000  # one minute, in 10 us units


class SigningKeyError(ValueError):
    pass


def signing_timestamp(unix_s: float) -> int:
    return int((unix_s - EPOCH_2015_UNIX_S) * 100_000)


def key_path(data_dir: Path, vehicle_id: str) -> Path:
    return data_dir / "signing" / f"{vehicle_id}.key"


def load_key(path: Path) -> bytes | None:
    """The vehicle's key (hex in the file), or None when the vehicle has none."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"cannot read signing key {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise SigningKeyError(f"signing key {path} is not hex") from None
    if len(key) != KEY_LEN:
        raise SigningKeyError(f"signing key {path} has {len(key)} bytes, not {KEY_LEN}")
    if path.stat().st_mode & 0o077:
        raise SigningKeyError(f"signing key {path} is readable by other users; run: chmod 600 {path}")
    return key


def write_key(path: Path, key: bytes) -> None:
    """Writes the key with mode 0600, atomically (a half-written key would lock the vehicle out)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _with_crc(body: bytes, msgid: int) -> bytes | None:
    extra = CRC_EXTRA.get(msgid)
    if extra is None:
        return None
    crc = mavlink_crc(body[1:] + bytes((extra,)))
    return body + bytes((crc & 0xFF, crc >> 8))


class LinkSigner:
    """Verifies, strips and adds signatures for one vehicle's key."""

    def __init__(self, key: bytes, link_id: int = 0) -> None:
        if len(key) != KEY_LEN:
            raise SigningKeyError(f"a signing key has {KEY_LEN} bytes")
        self._key = key
        self.link_id = link_id
        self._streams: dict[tuple[int, int, int], int] = {}
        self._timestamp = 0
        self.good = 0
        self.bad = 0
        self.unsigned = 0
        self.replayed = 0

    def _signature(self, signed_part: bytes) -> bytes:
        return hashlib.sha256(self._key + signed_part).digest()[:6]

    def _now(self) -> int:
        self._timestamp = max(self._timestamp + 1, signing_timestamp(time.time()))
        return self._timestamp

    def verify(self, frame: Frame) -> bool:
        raw = frame.raw
        if raw[0] != MAVLINK_V2_MAGIC or not raw[2] & INCOMPAT_FLAG_SIGNED or len(raw) < SIGNATURE_LEN:
            self.unsigned += 1
            return False
        if not hmac.compare_digest(self._signature(raw[:-6]), raw[-6:]):
            self.bad += 1
            return False
        link_id = raw[-13]
        timestamp = int.from_bytes(raw[-12:-6], "little")
        stream = (link_id, frame.sysid, frame.compid)
        last = self._streams.get(stream)
        if last is not None:
            if timestamp <= last:
                self.replayed += 1
                return False
        elif timestamp + NEW_STREAM_MAX_AGE < signing_timestamp(time.time()):
            self.replayed += 1
            return False
        if len(self._streams) > 1024:  # bounded: streams are (link, system, component) of one vehicle
            self._streams.clear()
        self._streams[stream] = timestamp
        self._timestamp = max(self._timestamp, timestamp)
        self.good += 1
        return True

    @staticmethod
    def strip(frame: Frame) -> bytes:
        """The frame without its signature, flag cleared and CRC recomputed (as MAVSDK expects)."""
        raw = frame.raw
        if raw[0] != MAVLINK_V2_MAGIC or not raw[2] & INCOMPAT_FLAG_SIGNED:
            return raw
        end = V2_HEADER_LEN + raw[1]
        body = raw[:2] + bytes((raw[2] & ~INCOMPAT_FLAG_SIGNED,)) + raw[3:end]
        return _with_crc(body, frame.msgid) or raw

    def sign(self, frame: Frame) -> bytes | None:
        """The frame signed with this key; None when it cannot be (MAVLink 1, unknown message id)."""
        raw = frame.raw
        if raw[0] != MAVLINK_V2_MAGIC:
            return None
        end = V2_HEADER_LEN + raw[1]
        body = raw[:2] + bytes((raw[2] | INCOMPAT_FLAG_SIGNED,)) + raw[3:end]
        framed = _with_crc(body, frame.msgid)
        if framed is None:
            return None
        signed_part = framed + bytes((self.link_id,)) + self._now().to_bytes(6, "little")
        assert len(signed_part) == end + CHECKSUM_LEN + 7
        return signed_part + self._signature(signed_part)
