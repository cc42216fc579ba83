"""MJPEG over HTTP (multipart/x-mixed-replace), the way IP pole cameras serve it: both ends.

Each part carries ``X-Capture-Time`` (ISO 8601 UTC) and ``X-Borderwatch-Meta`` (the frame metadata as
one line of ASCII JSON). The parser is incremental and bounded, and reports malformed streams clearly.
"""

from __future__ import annotations

from dataclasses import dataclass

MJPEG_BOUNDARY = "borderwatch-frame"
META_HEADER = "X-Borderwatch-Meta"
CAPTURE_TIME_HEADER = "X-Capture-Time"
MAX_PART_HEADER_BYTES = 512 * 1024
MAX_PART_BODY_BYTES = 20 * 1024 * 1024


class MjpegFormatError(ValueError):
    """A multipart stream that does not parse: says where (part number, byte offset) and why."""


def format_part(jpeg: bytes, headers: dict[str, str], boundary: str = MJPEG_BOUNDARY) -> bytes:
    lines = [f"--{boundary}", "Content-Type: image/jpeg", f"Content-Length: {len(jpeg)}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} must be one line")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + jpeg + b"\r\n"


def boundary_from_content_type(content_type: str) -> str:
    """The boundary of a multipart/x-mixed-replace Content-Type header."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/x-mixed-replace":
        raise MjpegFormatError(f"Content-Type {media.strip()!r} is not multipart/x-mixed-replace")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            value = value.strip('"')
            return value[2:] if value.startswith("--") else value
    raise MjpegFormatError(f"Content-Type {content_type!r} has no boundary parameter")


@dataclass(frozen=True)
class MjpegPart:
    index: int
    headers: dict[str, str]  # names lower-cased
    body: bytes


class MjpegPartParser:
    """Feed bytes as they arrive; complete parts come out. Needs Content-Length on each part."""

    def __init__(self, boundary: str) -> None:
        self._delimiter = f"--{boundary}".encode("ascii")
        self._buf = bytearray()
        self._consumed = 0  # bytes of the stream already parsed, for error offsets
        self._index = 0

    def feed(self, data: bytes) -> list[MjpegPart]:
        self._buf += data
        parts: list[MjpegPart] = []
        while True:
            part = self._next_part()
            if part is None:
                return parts
            parts.append(part)

    def _fail(self, why: str) -> MjpegFormatError:
        return MjpegFormatError(f"MJPEG part {self._index} (stream byte {self._consumed}): {why}")

    def _next_part(self) -> MjpegPart | None:
        buf = self._buf
        start = buf.find(self._delimiter)
        if start < 0:
            if len(buf) > MAX_PART_HEADER_BYTES:
                raise self._fail(f"no boundary in {len(buf)} bytes")
            return None
        header_end = buf.find(b"\r\n\r\n", start)
        if header_end < 0:
            if len(buf) - start > MAX_PART_HEADER_BYTES:
                raise self._fail(f"part headers longer than {MAX_PART_HEADER_BYTES} bytes")
            return None
        first_line_end = buf.find(b"\r\n", start)
        headers: dict[str, str] = {}
        for raw in bytes(buf[first_line_end + 2 : header_end]).split(b"\r\n"):
            if not raw:
                continue
            try:
                line = raw.decode("ascii")
            except UnicodeDecodeError:
                raise self._fail("part header is not ASCII") from None
            name, sep, value = line.partition(":")
            if not sep:
                raise self._fail(f"malformed part header line {line[:60]!r}")
            headers[name.strip().lower()] = value.strip()
        length_text = headers.get("content-length")
        if length_text is None:
            raise self._fail("part has no Content-Length")
        try:
            length = int(length_text)
        except ValueError:
            raise self._fail(f"Content-Length {length_text!r} is not a number") from None
        if not 0 <= length <= MAX_PART_BODY_BYTES:
            raise self._fail(f"Content-Length {length} outside 0-{MAX_PART_BODY_BYTES}")
        body_start = header_end + 4
        if len(buf) < body_start + length:
            return None
        body = bytes(buf[body_start : body_start + length])
        del buf[: body_start + length]
        self._consumed += body_start + length
        part = MjpegPart(index=self._index, headers=headers, body=body)
        self._index += 1
        return part
