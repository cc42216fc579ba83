"""H.264 over RTP (RFC 6184), sending side: Annex B splitting and the packetiser (single NAL + FU-A).

The reading side (depacketiser) belongs to the ground station (``ground_station.video.rtp``); the
simulator keeps only writers (design contract 14).
"""

from __future__ import annotations

import struct

RTP_VERSION = 2
H264_CLOCK_HZ = 90_000
DEFAULT_PAYLOAD_TYPE = 96
DEFAULT_MAX_PAYLOAD = 1200  # fits a 1500-byte MTU with IP/UDP/RTP headers and room for tunnels
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


def insert_before_first_vcl(nals: list[bytes], extra: bytes) -> list[bytes]:
    """Places a NAL (our SEI) after AUD/SPS/PPS/other SEI and before the picture's first slice."""
    for i, nal in enumerate(nals):
        if nal and nal[0] & 0x1F in VCL_NAL_TYPES:
            return [*nals[:i], extra, *nals[i:]]
    return [*nals, extra]


class RtpH264Packetizer:
    """Turns access units (lists of NAL units) into RTP packets, packetization-mode=1."""

    def __init__(
        self,
        ssrc: int,
        *,
        payload_type: int = DEFAULT_PAYLOAD_TYPE,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        initial_sequence: int = 0,
    ) -> None:
        if max_payload < 16:
            raise ValueError(f"max_payload {max_payload} is too small for FU-A")
        self.ssrc = ssrc & 0xFFFFFFFF
        self.payload_type = payload_type
        self.max_payload = max_payload
        self._seq = initial_sequence & 0xFFFF

    def _packet(self, payload: bytes, timestamp: int, marker: bool) -> bytes:
        header = struct.pack(
            "!BBHII",
            RTP_VERSION << 6,
            (0x80 if marker else 0) | self.payload_type,
            self._seq,
            timestamp & 0xFFFFFFFF,
            self.ssrc,
        )
        self._seq = (self._seq + 1) & 0xFFFF
        return header + payload

    def packetize(self, nals: list[bytes], timestamp: int) -> list[bytes]:
        packets: list[bytes] = []
        nals = [n for n in nals if n]
        for i, nal in enumerate(nals):
            last_nal = i == len(nals) - 1
            if len(nal) <= self.max_payload:
                packets.append(self._packet(nal, timestamp, last_nal))
                continue
            indicator = (nal[0] & 0xE0) | NAL_FU_A
            nal_type = nal[0] & 0x1F
            body = nal[1:]
            chunk = self.max_payload - 2
            for start in range(0, len(body), chunk):
                first = start == 0
                last = start + chunk >= len(body)
                fu_header = (0x80 if first else 0) | (0x40 if last else 0) | nal_type
                packets.append(
                    self._packet(
                        bytes([indicator, fu_header]) + body[start : start + chunk],
                        timestamp,
                        last_nal and last,
                    )
                )
        return packets
