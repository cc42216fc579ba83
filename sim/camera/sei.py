"""H.264 SEI user_data_unregistered carrying borderwatch frame metadata (ITU-T H.264 D.1.6).

One SEI NAL per access unit, tagged with a fixed UUID so that consumers can tell it from other user data
(x264 writes its version string in the same kind of SEI).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

SEI_NAL_TYPE = 6
USER_DATA_UNREGISTERED = 5
# uuid5(NAMESPACE_URL, "https://borderwatch.eu/sei/frame-metadata/v1"), fixed forever for this format.
BORDERWATCH_SEI_UUID = uuid.UUID("69455fa3-31f1-555e-8e64-b5695fd9b08f")


class SeiError(ValueError):
    """A SEI NAL unit that does not parse: says at which byte and why."""


def escape_rbsp(rbsp: bytes) -> bytes:
    """Inserts emulation-prevention bytes (00 00 0x -> 00 00 03 0x for x <= 3)."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def unescape_rbsp(ebsp: bytes) -> bytes:
    """Removes emulation-prevention bytes."""
    if b"\x00\x00\x03" not in ebsp:
        return ebsp
    out = bytearray()
    zeros = 0
    for byte in ebsp:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _ff_coded(value: int) -> bytes:
    return b"\xff" * (value // 255) + bytes([value % 255])


def build_user_data_sei(payload: bytes, sei_uuid: uuid.UUID = BORDERWATCH_SEI_UUID) -> bytes:
    """A complete SEI NAL unit (header byte included, no start code) with one user_data_unregistered."""
    body = sei_uuid.bytes + payload
    rbsp = _ff_coded(USER_DATA_UNREGISTERED) + _ff_coded(len(body)) + body + b"\x80"
    return bytes([SEI_NAL_TYPE]) + escape_rbsp(rbsp)


def _read_ff_coded(data: bytes, pos: int, what: str) -> tuple[int, int]:
    value = 0
    while True:
        if pos >= len(data):
            raise SeiError(f"SEI truncated while reading the {what} at byte {pos}")
        byte = data[pos]
        pos += 1
        value += byte
        if byte != 0xFF:
            return value, pos


def iter_user_data(nal: bytes) -> Iterable[tuple[uuid.UUID, bytes]]:
    """(uuid, payload) of every user_data_unregistered message in a SEI NAL unit."""
    if not nal or nal[0] & 0x1F != SEI_NAL_TYPE:
        raise SeiError(f"not a SEI NAL unit (type {nal[0] & 0x1F if nal else 'none'})")
    rbsp = unescape_rbsp(nal[1:])
    pos = 0
    while pos < len(rbsp) and rbsp[pos:] != b"\x80":
        ptype, pos = _read_ff_coded(rbsp, pos, "payload type")
        size, pos = _read_ff_coded(rbsp, pos, "payload size")
        if pos + size > len(rbsp):
            raise SeiError(
                f"SEI payload of {size} bytes at byte {pos} runs past the NAL end ({len(rbsp)} bytes)"
            )
        if ptype == USER_DATA_UNREGISTERED:
            if size < 16:
                raise SeiError(f"user_data_unregistered of {size} bytes is shorter than its 16-byte UUID")
            yield uuid.UUID(bytes=rbsp[pos : pos + 16]), rbsp[pos + 16 : pos + size]
        pos += size


def find_borderwatch_payload(nals: Iterable[bytes]) -> bytes | None:
    """Our metadata payload in an access unit, or None when it carries none."""
    for nal in nals:
        if nal and nal[0] & 0x1F == SEI_NAL_TYPE:
            for sei_uuid, payload in iter_user_data(nal):
                if sei_uuid == BORDERWATCH_SEI_UUID:
                    return payload
    return None
