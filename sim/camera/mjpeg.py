"""MJPEG over HTTP (multipart/x-mixed-replace), the way IP pole cameras serve it: the writing side.

Each part carries ``X-Capture-Time`` (ISO 8601 UTC) and ``X-Borderwatch-Meta`` (the simulator's ground
truth as one line of ASCII JSON; test-only, the station ignores it). The reader is
``ground_station.video.mjpeg_client``.
"""

from __future__ import annotations

MJPEG_BOUNDARY = "borderwatch-frame"
META_HEADER = "X-Borderwatch-Meta"
CAPTURE_TIME_HEADER = "X-Capture-Time"


def format_part(jpeg: bytes, headers: dict[str, str], boundary: str = MJPEG_BOUNDARY) -> bytes:
    lines = [f"--{boundary}", "Content-Type: image/jpeg", f"Content-Length: {len(jpeg)}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} must be one line")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + jpeg + b"\r\n"
