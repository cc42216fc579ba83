"""Reads the simulator's ground-truth channel back (test-only: the station ignores it)."""

from __future__ import annotations

from ground_station.video.frames import DecodedFrame
from ground_station.video.rtp import AccessUnit
from ground_station.video.sei import user_data_of
from sim.camera.metadata import FrameMetadata
from sim.camera.sei import BORDERWATCH_SEI_UUID


def truth_of_access_unit(au: AccessUnit) -> FrameMetadata | None:
    for sei_uuid, payload in user_data_of(au.nals):
        if sei_uuid == BORDERWATCH_SEI_UUID:
            return FrameMetadata.from_json_bytes(payload)
    return None


def truth_of(frame: DecodedFrame) -> FrameMetadata | None:
    """From the SEI (RTP) or the X-Borderwatch-Meta part header (MJPEG)."""
    for sei_uuid, payload in frame.user_data:
        if sei_uuid == BORDERWATCH_SEI_UUID:
            return FrameMetadata.from_json_bytes(payload)
    header = frame.headers.get("x-borderwatch-meta")
    return FrameMetadata.from_json_bytes(header.encode("ascii")) if header else None
