"""Writing H.264 SEI user_data_unregistered messages (ITU-T H.264 D.1.6), two per access unit:

* MISB ST 0601 KLV (``KLV_SEI_UUID``): what a real drone sends and the station reads (contract 14);
* the simulator's ground truth (``BORDERWATCH_SEI_UUID``, ``FrameMetadata`` JSON): a test-only channel
  the station ignores; tests read it back with ``ground_station.video.sei.user_data_of``.

The reading side lives in ``ground_station.video.sei``.
"""

from __future__ import annotations

import uuid

SEI_NAL_TYPE = 6
USER_DATA_UNREGISTERED = 5
# uuid5(NAMESPACE_URL, "https://borderwatch.eu/sei/frame-metadata/v1"), fixed forever for this format.
BORDERWATCH_SEI_UUID = uuid.UUID("69455fa3-31f1-555e-8e64-b5695fd9b08f")
# uuid5(NAMESPACE_URL, "https://borderwatch.eu/sei/misb-st0601-klv/v1"); the station accepts any UUID
# whose payload starts with the ST 0601 key.
KLV_SEI_UUID = uuid.UUID("8b5933e8-7f3a-508a-964b-a0de6a8c5691")


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


def _ff_coded(value: int) -> bytes:
    return b"\xff" * (value // 255) + bytes([value % 255])


def build_user_data_sei(payload: bytes, sei_uuid: uuid.UUID = BORDERWATCH_SEI_UUID) -> bytes:
    """A complete SEI NAL unit (header byte included, no start code) with one user_data_unregistered."""
    body = sei_uuid.bytes + payload
    rbsp = _ff_coded(USER_DATA_UNREGISTERED) + _ff_coded(len(body)) + body + b"\x80"
    return bytes([SEI_NAL_TYPE]) + escape_rbsp(rbsp)
