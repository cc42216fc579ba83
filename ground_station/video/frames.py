"""What every stream reader yields: a decoded picture with what came with it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from ground_station.video.klv import UasDatalinkSample

ImageU8 = NDArray[np.uint8]
MAX_ERRORS_KEPT = 20


@dataclass(frozen=True)
class DecodedFrame:
    """``klv``: the ST 0601 sample of this picture (None when absent or refused); ``klv_packet`` its raw
    bytes (recorded as they came). ``access_unit``: the H.264 Annex B bytes the picture was decoded from,
    so a recorder can remux without re-encoding. ``user_data``: other SEI user data, not interpreted.
    ``headers``: an MJPEG part's headers (lower-cased names)."""

    image: ImageU8  # BGR
    klv: UasDatalinkSample | None = None
    klv_packet: bytes | None = None
    rtp_timestamp: int | None = None
    capture_time_utc: datetime | None = None
    access_unit: bytes | None = None
    keyframe: bool = False
    user_data: tuple[tuple[uuid.UUID, bytes], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass
class ReceiverStats:
    """Counters of one reader; ``errors`` keeps the last messages for the API and the logs."""

    datagrams: int = 0
    malformed: int = 0
    access_units: int = 0
    skipped_access_units: int = 0
    frames: int = 0
    klv_packets: int = 0
    klv_errors: int = 0
    decode_errors: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.errors.append(message)
        del self.errors[:-MAX_ERRORS_KEPT]
