"""Reading H.264 SEI ``user_data_unregistered`` messages (ITU-T H.264 D.1.6), where KLV travels.

MISB ST 0604 carries KLV in SEI user data. The station accepts ST 0601 in any user_data_unregistered
message whose payload starts with the ST 0601 key (vendors differ in the UUID they use), and ignores
every other user data, including the simulator's ground-truth channel (its own UUID, test-only).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

SEI_NAL_TYPE = 6
USER_DATA_UNREGISTERED = 5
KLV_SEI_UUID = uuid.UUID("8b5933e8-7f3a-508a-964b-a0de6a8c5691")
"""uuid5(NAMESPACE_URL, "https://borderwatch.eu/sei/misb-st0601-klv/v1"): what our simulator writes."""


class SeiError(ValueError):
    """A SEI NAL unit that does not parse: says at which byte and why."""


def unescape_rbsp(ebsp: bytes) -> bytes:
    """Removes emulation-prevention bytes (00 00 03 -> 00 00)."""
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


def user_data_of(nals: Iterable[bytes]) -> list[tuple[uuid.UUID, bytes]]:
    """Every user_data_unregistered message of an access unit, in order; SeiError if one is malformed."""
    found: list[tuple[uuid.UUID, bytes]] = []
    for nal in nals:
        if nal and nal[0] & 0x1F == SEI_NAL_TYPE:
            found.extend(iter_user_data(nal))
    return found
