"""MAVLink frame splitting and CRC checking without decoding every payload.

A PX4 vehicle sends ~400 frames/s on its API link, so fully decoding each with pymavlink would cost more
CPU than 50 vehicles can afford on two cores. Frames are split by their headers and their CRC
(CRC-16/MCRF4XX) is checked with ``binascii.crc_hqx`` on bit-reversed bytes, which runs in C; only the
handful of message types the station uses are then decoded (see ``decode``).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

from pymavlink.dialects.v20 import all as mavlink_all

MAVLINK_V2_MAGIC = 0xFD
MAVLINK_V1_MAGIC = 0xFE
V2_HEADER_LEN = 10
V1_HEADER_LEN = 6
CHECKSUM_LEN = 2
SIGNATURE_LEN = 13
INCOMPAT_FLAG_SIGNED = 0x01

CRC_EXTRA: dict[int, int] = {msgid: cls.crc_extra for msgid, cls in mavlink_all.mavlink_map.items()}

_REVERSE_BITS = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


_REVERSED_CRC_EXTRA: dict[int, bytes] = {
    msgid: bytes((_REVERSE_BITS[extra],)) for msgid, extra in CRC_EXTRA.items()
}


def _reverse16(value: int) -> int:
    return (_REVERSE_BITS[value & 0xFF] << 8) | _REVERSE_BITS[value >> 8]


def mavlink_crc(data: bytes) -> int:
    """CRC-16/MCRF4XX (MAVLink's X.25 variant): the reflected form of CRC-CCITT, computed in C."""
    return _reverse16(binascii.crc_hqx(data.translate(_REVERSE_BITS), 0xFFFF))


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete MAVLink frame; ``known`` is False when its id has no CRC_EXTRA (CRC unchecked)."""

    raw: bytes
    sysid: int
    compid: int
    seq: int
    msgid: int
    payload: bytes
    known: bool


@dataclass(slots=True)
class FrameStats:
    frames: int = 0
    bad_crc: int = 0
    garbage_bytes: int = 0
    unknown_msgid: int = 0
    garbage_chunks: int = 0

    @property
    def bad(self) -> int:
        """Frames with a bad CRC plus chunks of input that held garbage."""
        return self.bad_crc + self.garbage_chunks


def _check_crc(raw: bytes, header_len: int, payload_len: int, msgid: int) -> bool | None:
    """True/False for known messages; None when the message id is unknown (no CRC_EXTRA to check)."""
    extra = CRC_EXTRA.get(msgid)
    if extra is None:
        return None
    end = header_len + payload_len
    crc = mavlink_crc(raw[1:end] + bytes((extra,)))
    return crc == raw[end] | (raw[end + 1] << 8)


def _delimited(buf: bytes, end: int, size: int) -> bool:
    """A frame whose CRC cannot be checked (message id unknown to the dialect) is only believed when it
    ends where the input ends or where another frame starts."""
    return end == size or buf[end] in (MAVLINK_V2_MAGIC, MAVLINK_V1_MAGIC)


class FrameSplitter:
    """Splits datagrams (or a byte stream) into frames; counts garbage and bad CRCs, never raises.

    The payload is returned as sent (MAVLink 2 truncates trailing zeros); decoders pad it.
    """

    def __init__(self, max_pending: int = 4096) -> None:
        self.stats = FrameStats()
        self._pending = b""
        self._max_pending = max_pending

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._pending + data if self._pending else data
        frames: list[Frame] = []
        pos = 0
        size = len(buf)
        skipped = 0
        while pos < size:
            magic = buf[pos]
            if magic == MAVLINK_V2_MAGIC:
                if size - pos < V2_HEADER_LEN + CHECKSUM_LEN:
                    break
                payload_len = buf[pos + 1]
                incompat = buf[pos + 2]
                if incompat & ~INCOMPAT_FLAG_SIGNED:
                    pos += 1  # no such flag exists: this is not a frame start
                    skipped += 1
                    continue
                signed = incompat & INCOMPAT_FLAG_SIGNED
                frame_len = V2_HEADER_LEN + payload_len + CHECKSUM_LEN + (SIGNATURE_LEN if signed else 0)
                if size - pos < frame_len:
                    break
                raw = buf[pos : pos + frame_len]
                msgid = raw[7] | (raw[8] << 8) | (raw[9] << 16)
                ok = _check_crc(raw, V2_HEADER_LEN, payload_len, msgid)
                if ok is None and not _delimited(buf, pos + frame_len, size):
                    ok = False
                if ok is False:
                    self.stats.bad_crc += 1
                    pos += 1  # resynchronise on the next magic byte
                    skipped += 1
                    continue
                payload = raw[V2_HEADER_LEN : V2_HEADER_LEN + payload_len]
                frames.append(Frame(raw, raw[5], raw[6], raw[4], msgid, payload, ok is True))
            elif magic == MAVLINK_V1_MAGIC:
                if size - pos < V1_HEADER_LEN + CHECKSUM_LEN:
                    break
                payload_len = buf[pos + 1]
                frame_len = V1_HEADER_LEN + payload_len + CHECKSUM_LEN
                if size - pos < frame_len:
                    break
                raw = buf[pos : pos + frame_len]
                msgid = raw[5]
                ok = _check_crc(raw, V1_HEADER_LEN, payload_len, msgid)
                if ok is None and not _delimited(buf, pos + frame_len, size):
                    ok = False
                if ok is False:
                    self.stats.bad_crc += 1
                    pos += 1
                    skipped += 1
                    continue
                payload = raw[V1_HEADER_LEN : V1_HEADER_LEN + payload_len]
                frames.append(Frame(raw, raw[3], raw[4], raw[2], msgid, payload, ok is True))
            else:
                pos += 1
                skipped += 1
                continue
            if not frames[-1].known:
                self.stats.unknown_msgid += 1
            pos += frame_len
        self.stats.frames += len(frames)
        if skipped:
            self.stats.garbage_bytes += skipped
            self.stats.garbage_chunks += 1
        rest = buf[pos:]
        if len(rest) > self._max_pending:
            self.stats.garbage_bytes += len(rest)
            self.stats.garbage_chunks += 1
            rest = b""
        self._pending = rest
        return frames

    def feed_datagram(self, data: bytes) -> list[Frame]:
        """One UDP datagram (no frame continues into the next). PX4 sends exactly one MAVLink 2 frame
        per datagram; that case is checked inline, anything else takes the general path."""
        size = len(data)
        if (
            not self._pending
            and size >= V2_HEADER_LEN + CHECKSUM_LEN
            and data[0] == MAVLINK_V2_MAGIC
            and data[2] == 0
            and size == V2_HEADER_LEN + CHECKSUM_LEN + data[1]
        ):
            msgid = data[7] | (data[8] << 8) | (data[9] << 16)
            extra = _REVERSED_CRC_EXTRA.get(msgid)
            end = size - CHECKSUM_LEN
            if extra is not None:
                reversed_bits = memoryview(data.translate(_REVERSE_BITS))
                crc = _reverse16(binascii.crc_hqx(extra, binascii.crc_hqx(reversed_bits[1:end], 0xFFFF)))
                if crc != data[end] | (data[end + 1] << 8):
                    self.stats.bad_crc += 1
                    self.stats.garbage_bytes += size
                    self.stats.garbage_chunks += 1
                    return []
            else:
                self.stats.unknown_msgid += 1
            self.stats.frames += 1
            return [Frame(data, data[5], data[6], data[4], msgid, data[V2_HEADER_LEN:end], extra is not None)]
        frames = self.feed(data)
        self.reset()
        return frames

    def reset(self) -> None:
        """Drop a partial frame, e.g. at the end of a datagram (UDP never continues a frame)."""
        if self._pending:
            self.stats.garbage_bytes += len(self._pending)
            self.stats.garbage_chunks += 1
            self._pending = b""
