"""MJPEG over HTTP (multipart/x-mixed-replace), the way IP pole cameras serve it: the reading side.

The parser is incremental and bounded (part headers and bodies have size limits) and reports malformed
streams clearly; it needs Content-Length on each part, as the cameras we know send it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import cv2
import httpx
import numpy as np

from ground_station.video.frames import DecodedFrame, ReceiverStats

MAX_PART_HEADER_BYTES = 512 * 1024
MAX_PART_BODY_BYTES = 20 * 1024 * 1024


class MjpegFormatError(ValueError):
    """A multipart stream that does not parse: says where (part number, byte offset) and why."""


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


CAPTURE_TIME_HEADER = "x-capture-time"


async def read_mjpeg(
    url: str, *, max_frames: int | None = None, timeout_s: float = 30.0, stats: ReceiverStats | None = None
) -> AsyncIterator[DecodedFrame]:
    """Frames of an MJPEG-over-HTTP stream. A part that is not a decodable JPEG is counted in ``stats``
    and skipped (a camera glitch is not the end of the stream); a malformed multipart stream raises
    MjpegFormatError."""
    stats = stats if stats is not None else ReceiverStats()
    async with (
        httpx.AsyncClient(timeout=timeout_s) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise MjpegFormatError(f"{url}: HTTP {response.status_code}")
        parser = MjpegPartParser(boundary_from_content_type(response.headers.get("content-type", "")))
        count = 0
        async for chunk in response.aiter_raw():
            for part in parser.feed(chunk):
                try:
                    frame = decode_mjpeg_part(part.headers, part.body, where=f"{url} part {part.index}")
                except MjpegFormatError as exc:
                    stats.decode_errors += 1
                    stats.note(str(exc))
                    continue
                stats.frames += 1
                yield frame
                count += 1
                if max_frames is not None and count >= max_frames:
                    return


def decode_mjpeg_part(headers: dict[str, str], body: bytes, *, where: str) -> DecodedFrame:
    """One part to a frame; its headers pass through uninterpreted except the capture time."""
    decoded = cv2.imdecode(np.frombuffer(body, dtype=np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise MjpegFormatError(f"{where}: body of {len(body)} bytes is not a decodable JPEG")
    capture_text = headers.get(CAPTURE_TIME_HEADER)
    capture = None
    if capture_text:
        try:
            capture = datetime.fromisoformat(capture_text)
        except ValueError:
            raise MjpegFormatError(f"{where}: X-Capture-Time {capture_text!r} is not ISO 8601") from None
    return DecodedFrame(
        image=np.asarray(decoded, dtype=np.uint8), capture_time_utc=capture, headers=dict(headers)
    )
