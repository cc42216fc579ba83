"""Writing the SDP (RFC 8866) of a drone camera's RTP/H.264 stream (the station reads it:
``ground_station.video.sdp``).

Besides the standard lines the file names the keepalive address (``a=x-borderwatch-keepalive``): the
simulator renders a drone stream only while datagrams arrive there (see sim.camera.rtp_stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.camera.rtp_h264 import DEFAULT_PAYLOAD_TYPE, H264_CLOCK_HZ
from sim.camera.sei import BORDERWATCH_SEI_UUID, KLV_SEI_UUID


@dataclass(frozen=True)
class H264SessionDescription:
    camera_id: str
    host: str
    port: int
    payload_type: int
    clock_rate: int
    keepalive_host: str | None
    keepalive_port: int | None
    framerate: float | None = None


def build_sdp(desc: H264SessionDescription, *, session_id: int = 0) -> str:
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN IP4 {desc.host}",
        f"s=borderwatch camera {desc.camera_id}",
        f"c=IN IP4 {desc.host}",
        "t=0 0",
        "a=tool:borderwatch",
        f"m=video {desc.port} RTP/AVP {desc.payload_type}",
        f"a=rtpmap:{desc.payload_type} H264/{desc.clock_rate}",
        f"a=fmtp:{desc.payload_type} packetization-mode=1;profile-level-id=42c01f",
        "a=recvonly",
        f"a=x-borderwatch-camera:{desc.camera_id}",
        f"a=x-borderwatch-klv-sei-uuid:{KLV_SEI_UUID}",
        f"a=x-borderwatch-truth-sei-uuid:{BORDERWATCH_SEI_UUID}",
    ]
    if desc.framerate:
        lines.insert(9, f"a=framerate:{desc.framerate:g}")
    if desc.keepalive_host and desc.keepalive_port:
        lines.append(f"a=x-borderwatch-keepalive:{desc.keepalive_host}:{desc.keepalive_port}")
    return "\r\n".join(lines) + "\r\n"


def write_sdp(path: Path, desc: H264SessionDescription) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(build_sdp(desc), encoding="ascii")
    tmp.replace(path)  # readers never see a half-written file
    return path


__all__ = [
    "DEFAULT_PAYLOAD_TYPE",
    "H264_CLOCK_HZ",
    "H264SessionDescription",
    "build_sdp",
    "write_sdp",
]
