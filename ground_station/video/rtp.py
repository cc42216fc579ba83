"""H.264 over RTP (RFC 6184), receiving side: RTP header parsing, depacketiser (single NAL, STAP-A,
FU-A) and Annex B splitting. The writer (packetiser) stays in the simulator; the station only reads.

The depacketiser never trusts its input: malformed datagrams raise
RtpFormatError naming what is wrong, and lost packets drop the damaged access unit, not the stream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

RTP_VERSION = 2
H264_CLOCK_HZ = 90_000
DEFAULT_PAYLOAD_TYPE = 96
NAL_STAP_A = 24
NAL_FU_A = 28
VCL_NAL_TYPES = frozenset({1, 2, 3, 4, 5})
MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024

_START_CODE = b"\x00\x00\x00\x01"


class RtpFormatError(ValueError):
    """A datagram that is not valid RTP/H.264: the message says which field and why."""


def split_annexb(stream: bytes) -> list[bytes]:
    """NAL units (without start codes) of an Annex B byte stream; trailing zero bytes dropped."""
    starts = []
    pos = stream.find(b"\x00\x00\x01")
    while pos >= 0:
        starts.append(pos)
        pos = stream.find(b"\x00\x00\x01", pos + 3)
    if not starts:
        raise RtpFormatError(f"no Annex B start code in {len(stream)} bytes of H.264")
    nals = []
    for k, begin in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(stream)
        nal = stream[begin + 3 : end].rstrip(b"\x00")
        if nal:
            nals.append(nal)
    return nals


def join_annexb(nals: list[bytes]) -> bytes:
    return b"".join(_START_CODE + nal for nal in nals)


@dataclass(frozen=True)
class RtpHeader:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int


def parse_rtp(datagram: bytes) -> tuple[RtpHeader, bytes]:
    """Header and payload of an RTP packet (RFC 3550), CSRCs, extension and padding removed."""
    if len(datagram) < 12:
        raise RtpFormatError(f"RTP packet of {len(datagram)} bytes is shorter than the 12-byte header")
    b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", datagram[:12])
    if b0 >> 6 != RTP_VERSION:
        raise RtpFormatError(f"RTP version {b0 >> 6} (byte 0), expected 2")
    offset = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:
        if len(datagram) < offset + 4:
            raise RtpFormatError(
                "RTP header extension flag set but the packet ends before the extension header"
            )
        ext_words = struct.unpack("!H", datagram[offset + 2 : offset + 4])[0]
        offset += 4 + 4 * ext_words
    end = len(datagram)
    if b0 & 0x20:
        pad = datagram[-1]
        if pad == 0 or pad > end - offset:
            raise RtpFormatError(f"RTP padding length {pad} is invalid for a {len(datagram)}-byte packet")
        end -= pad
    if offset > end:
        raise RtpFormatError(
            f"RTP header ({offset} bytes with CSRCs/extension) exceeds the packet ({len(datagram)})"
        )
    header = RtpHeader(payload_type=b1 & 0x7F, marker=bool(b1 & 0x80), sequence=seq, timestamp=ts, ssrc=ssrc)
    return header, datagram[offset:end]


@dataclass
class AccessUnit:
    """All NAL units of one picture (one RTP timestamp); ``complete`` is False if packets were lost."""

    timestamp: int
    nals: list[bytes] = field(default_factory=list)
    complete: bool = True

    @property
    def size(self) -> int:
        return sum(len(n) for n in self.nals)

    def annexb(self) -> bytes:
        return join_annexb(self.nals)

    @property
    def is_idr(self) -> bool:
        return any(n and n[0] & 0x1F == 5 for n in self.nals)


@dataclass
class DepacketizerStats:
    packets: int = 0
    malformed: int = 0
    lost: int = 0
    access_units: int = 0
    dropped_access_units: int = 0


class RtpH264Depacketizer:
    """Reassembles access units from RTP packets of one H.264 stream (single NAL, STAP-A, FU-A).

    An access unit ends at the marker bit or when the timestamp changes. A sequence gap marks the
    access unit being built incomplete: it is returned with ``complete=False`` so that the caller can
    skip it (and wait for the next keyframe) instead of feeding the decoder garbage.
    """

    def __init__(
        self, *, payload_type: int | None = None, max_access_unit_bytes: int = MAX_ACCESS_UNIT_BYTES
    ) -> None:
        self.payload_type = payload_type
        self.max_access_unit_bytes = max_access_unit_bytes
        self.stats = DepacketizerStats()
        self._expected_seq: int | None = None
        self._ssrc: int | None = None
        self._au: AccessUnit | None = None
        self._fu: bytearray | None = None
        self._fu_lost = False

    def push(self, datagram: bytes) -> list[AccessUnit]:
        """Feeds one datagram; returns the access units it completed. Raises RtpFormatError if malformed."""
        self.stats.packets += 1
        try:
            header, payload = parse_rtp(datagram)
            if self.payload_type is not None and header.payload_type != self.payload_type:
                raise RtpFormatError(f"RTP payload type {header.payload_type}, expected {self.payload_type}")
            if not payload:
                raise RtpFormatError("RTP packet without payload")
        except RtpFormatError:
            self.stats.malformed += 1
            raise
        done: list[AccessUnit] = []
        if self._ssrc is not None and header.ssrc != self._ssrc:
            self._reset()  # a new stream (sender restarted): start over
        self._ssrc = header.ssrc
        if self._expected_seq is not None and header.sequence != self._expected_seq:
            gap = (header.sequence - self._expected_seq) & 0xFFFF
            if gap > 0x8000:
                return done  # late or duplicate packet: ignore
            self.stats.lost += gap
            if self._au is not None:
                self._au.complete = False
            self._fu = None
            self._fu_lost = True  # the rest of a fragmented NAL may follow: drop it quietly
        self._expected_seq = (header.sequence + 1) & 0xFFFF
        if self._au is not None and self._au.timestamp != header.timestamp:
            done.append(self._finish())
        if self._au is None:
            self._au = AccessUnit(timestamp=header.timestamp)
        try:
            self._consume(payload)
        except RtpFormatError:
            self.stats.malformed += 1
            self._au.complete = False
            self._fu = None
            if header.marker:
                done.append(self._finish())
            raise
        if self._au.size > self.max_access_unit_bytes:
            self._au.complete = False
            self._au.nals.clear()
        if header.marker:
            done.append(self._finish())
        return done

    def _reset(self) -> None:
        self._expected_seq = None
        self._au = None
        self._fu = None

    def _finish(self) -> AccessUnit:
        au = self._au
        assert au is not None
        self._au = None
        self._fu_lost = False
        if self._fu is not None:
            au.complete = False  # FU-A never saw its end bit
            self._fu = None
        if au.complete and au.nals:
            self.stats.access_units += 1
        else:
            self.stats.dropped_access_units += 1
        return au

    def _consume(self, payload: bytes) -> None:
        assert self._au is not None
        if payload[0] & 0x80:
            raise RtpFormatError("H.264 NAL header has the forbidden_zero_bit set")
        nal_type = payload[0] & 0x1F
        if 1 <= nal_type <= 23:
            self._au.nals.append(payload)
        elif nal_type == NAL_STAP_A:
            pos = 1
            while pos < len(payload):
                if pos + 2 > len(payload):
                    raise RtpFormatError(f"STAP-A truncated in a NAL size field at byte {pos}")
                size = struct.unpack("!H", payload[pos : pos + 2])[0]
                pos += 2
                if size == 0 or pos + size > len(payload):
                    raise RtpFormatError(f"STAP-A NAL of {size} bytes at byte {pos} runs past the packet end")
                self._au.nals.append(payload[pos : pos + size])
                pos += size
        elif nal_type == NAL_FU_A:
            if len(payload) < 3:
                raise RtpFormatError(f"FU-A packet of {len(payload)} bytes has no fragment")
            fu_header = payload[1]
            start, end = bool(fu_header & 0x80), bool(fu_header & 0x40)
            if start and end:
                raise RtpFormatError("FU-A fragment has both start and end bits set")
            if start:
                self._fu = bytearray([(payload[0] & 0xE0) | (fu_header & 0x1F)])
                self._fu_lost = False
            elif self._fu is None:
                if self._fu_lost:
                    return
                raise RtpFormatError("FU-A continuation without its start fragment")
            self._fu += payload[2:]
            if end:
                self._au.nals.append(bytes(self._fu))
                self._fu = None
        else:
            raise RtpFormatError(
                f"unsupported H.264 RTP payload NAL type {nal_type} (need 1-23, 24 STAP-A, 28 FU-A)"
            )
