"""The ``.tlog`` format QGroundControl and MAVProxy write: per frame, an 8-byte big-endian count of
microseconds since the Unix epoch (when the station saw it), then the raw MAVLink frame.

Both directions go into one file; they are told apart by system id. pymavlink reads these files with
``mavutil.mavlink_connection(path)``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from geodata.errors import DEFAULT_MAX_INPUT_BYTES

_TIMESTAMP = struct.Struct(">Q")
WRITE_BUFFER_BYTES = 1 << 16  # ~3 s of a PX4 API link: few write calls; flushed every second anyway


class TlogError(ValueError):
    """A tlog that cannot be read; names the file and the byte offset."""


@dataclass(frozen=True, slots=True)
class TlogRecord:
    time_us: int
    frame: bytes
    offset: int


class TlogWriter:
    """Appends frames to one tlog. Buffered; ``flush`` is called about once a second by the recorder,
    so a killed service loses at most that much and never corrupts what was already written."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: BinaryIO = path.open("ab", buffering=WRITE_BUFFER_BYTES)
        self.frames_written = 0

    def write(self, time_us: int, frame: bytes) -> None:
        self._file.write(_TIMESTAMP.pack(time_us) + frame)
        self.frames_written += 1

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed


def _frame_length(header: bytes) -> int | None:
    magic = header[0]
    if magic == 0xFD:
        return 12 + header[1] + (13 if header[2] & 0x01 else 0)
    if magic == 0xFE:
        return 8 + header[1]
    return None


def iter_tlog(path: Path, *, max_bytes: int | None = DEFAULT_MAX_INPUT_BYTES) -> Iterator[TlogRecord]:
    """Streams the records of a tlog (never holds the whole file).

    Raises TlogError for a file above ``max_bytes`` (checked before reading) or a record that does not
    start with a MAVLink magic byte, naming the offset. A truncated last record (killed writer) ends
    the iteration quietly, since everything before it is intact.
    """
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise TlogError(f"{path}: {size} bytes is above the {max_bytes}-byte input limit")
    with path.open("rb") as handle:
        offset = 0
        while True:
            head = handle.read(8 + 3)
            if len(head) < 8 + 3:
                return
            length = _frame_length(head[8:])
            if length is None:
                raise TlogError(
                    f"{path}: byte {offset + 8}: expected a MAVLink frame (0xFD/0xFE), got 0x{head[8]:02X}"
                )
            rest = handle.read(length - 3)
            if len(rest) < length - 3:
                return
            yield TlogRecord(_TIMESTAMP.unpack(head[:8])[0], head[8:] + rest, offset)
            offset += 8 + length
