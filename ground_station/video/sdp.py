"""Reading an SDP (RFC 8866) that describes an RTP/H.264 stream: the few lines a receiver needs.

Besides the standard lines, ``a=x-borderwatch-keepalive:<host>:<port>`` names where to send keepalives
(our simulator renders a drone stream only while they arrive); real cameras' SDPs simply lack it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
