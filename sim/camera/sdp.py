"""SDP (RFC 8866) for a drone camera's RTP/H.264 stream, and the few lines a consumer needs from it.

Besides the standard lines the file names the keepalive address (``a=x-borderwatch-keepalive``): the
simulator renders a drone stream only while datagrams arrive there (see sim.camera.rtp_stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.camera.rtp_h264 import DEFAULT_PAYLOAD_TYPE, H264_CLOCK_HZ
from sim.camera.sei import BORDERWATCH_SEI_UUID

MAX_SDP_BYTES = 64 * 1024


class SdpError(ValueError):
    """An SDP the reader cannot use: names the line and why."""


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
        f"a=x-borderwatch-sei-uuid:{BORDERWATCH_SEI_UUID}",
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


def _port(text: str, line_no: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SdpError(f"SDP line {line_no}: {what} {text!r} is not a number") from None
    if not 0 < value < 65536:
        raise SdpError(f"SDP line {line_no}: {what} {value} is out of range 1-65535")
    return value


def parse_sdp(text: str, *, source: str = "<sdp>") -> H264SessionDescription:
    """Reads the first H.264 video media section of an SDP."""
    if len(text) > MAX_SDP_BYTES:
        raise SdpError(f"{source}: SDP of {len(text)} characters exceeds the {MAX_SDP_BYTES} limit")
    host: str | None = None
    port: int | None = None
    payload_type: int | None = None
    clock_rate: int | None = None
    framerate: float | None = None
    camera_id = ""
    ka_host: str | None = None
    ka_port: int | None = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"{source} line {line_no}: {line[:40]!r} is not '<type>=<value>'")
        kind, value = line[0], line[2:]
        if kind == "c":
            parts = value.split()
            if len(parts) != 3 or parts[0] != "IN":
                raise SdpError(f"{source} line {line_no}: connection line {value!r} is not 'IN IP4 <host>'")
            host = parts[2].split("/")[0]
        elif kind == "m" and port is None:
            parts = value.split()
            if len(parts) < 4 or parts[0] != "video":
                continue
            if parts[1 + 1] != "RTP/AVP":
                raise SdpError(f"{source} line {line_no}: transport {parts[2]!r}, expected RTP/AVP")
            port = _port(parts[1].split("/")[0], line_no, "media port")
            payload_type = int(parts[3]) if parts[3].isdigit() else None
        elif kind == "a":
            name, _, attr = value.partition(":")
            if name == "rtpmap" and payload_type is not None and attr.startswith(f"{payload_type} "):
                codec = attr.split(" ", 1)[1]
                enc, _, rate = codec.partition("/")
                if enc.upper() != "H264":
                    raise SdpError(f"{source} line {line_no}: codec {enc!r}, expected H264")
                clock_rate = int(rate.split("/")[0]) if rate.split("/")[0].isdigit() else None
            elif name == "framerate":
                try:
                    framerate = float(attr)
                except ValueError:
                    raise SdpError(f"{source} line {line_no}: framerate {attr!r} is not a number") from None
            elif name == "x-borderwatch-camera":
                camera_id = attr
            elif name == "x-borderwatch-keepalive":
                h, sep, p = attr.rpartition(":")
                if not sep:
                    raise SdpError(f"{source} line {line_no}: keepalive {attr!r} is not '<host>:<port>'")
                ka_host, ka_port = h, _port(p, line_no, "keepalive port")
    if port is None or payload_type is None:
        raise SdpError(f"{source}: no 'm=video <port> RTP/AVP <pt>' line")
    if clock_rate is None:
        raise SdpError(f"{source}: no 'a=rtpmap:{payload_type} H264/<clock>' line")
    return H264SessionDescription(
        camera_id=camera_id,
        host=host or "127.0.0.1",
        port=port,
        payload_type=payload_type,
        clock_rate=clock_rate,
        keepalive_host=ka_host,
        keepalive_port=ka_port,
        framerate=framerate,
    )


def read_sdp(path: Path) -> H264SessionDescription:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SdpError(f"{path}: cannot read SDP ({exc.strerror})") from None
    if size > MAX_SDP_BYTES:
        raise SdpError(f"{path}: SDP of {size} bytes exceeds the {MAX_SDP_BYTES}-byte limit")
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise SdpError(f"{path}: SDP is not ASCII (byte {exc.start})") from None
    return parse_sdp(text, source=str(path))


__all__ = [
    "DEFAULT_PAYLOAD_TYPE",
    "H264_CLOCK_HZ",
    "H264SessionDescription",
    "SdpError",
    "build_sdp",
    "parse_sdp",
    "read_sdp",
    "write_sdp",
]
