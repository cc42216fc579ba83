"""The MJPEG multipart reader on hand-made streams: split anywhere, and malformed parts named clearly."""

from __future__ import annotations

import pytest

from ground_station.video.mjpeg_client import (
    MjpegFormatError,
    MjpegPartParser,
    boundary_from_content_type,
    decode_mjpeg_part,
)
from sim.camera.mjpeg import MJPEG_BOUNDARY, format_part


def _stream(n: int) -> bytes:
    return b"".join(format_part(bytes([i]) * (100 + i), {"X-Index": str(i)}) for i in range(n))


def test_parts_come_out_whole_however_the_bytes_are_split() -> None:
    data = _stream(5)
    for chunk in (1, 7, 100, len(data)):
        parser = MjpegPartParser(MJPEG_BOUNDARY)
        parts = []
        for start in range(0, len(data), chunk):
            parts += parser.feed(data[start : start + chunk])
        assert [p.headers["x-index"] for p in parts] == ["0", "1", "2", "3", "4"]
        assert [len(p.body) for p in parts] == [100, 101, 102, 103, 104]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"--borderwatch-frame\r\nContent-Type: image/jpeg\r\n\r\nxxxx", "no Content-Length"),
        (b"--borderwatch-frame\r\nContent-Length: ten\r\n\r\nxxxx", "not a number"),
        (b"--borderwatch-frame\r\nContent-Length: 999999999\r\n\r\n", "outside"),
        (b"--borderwatch-frame\r\nno colon here\r\n\r\n", "malformed part header line"),
        (b"--borderwatch-frame\r\nX: \xff\r\n\r\n", "not ASCII"),
        (b"x" * (600 * 1024), "no boundary"),
    ],
)
def test_malformed_parts_raise_clear_errors(raw: bytes, message: str) -> None:
    parser = MjpegPartParser(MJPEG_BOUNDARY)
    parser.feed(format_part(b"\xff\xd8ok", {}))
    with pytest.raises(MjpegFormatError, match=f"MJPEG part 1 .*{message}"):
        parser.feed(raw)


def test_truncated_part_waits_for_more_instead_of_guessing() -> None:
    parser = MjpegPartParser(MJPEG_BOUNDARY)
    whole = format_part(b"A" * 500, {})
    assert parser.feed(whole[:-100]) == []
    assert len(parser.feed(whole[-100:])[0].body) == 500


def test_content_type_and_body_checks() -> None:
    assert boundary_from_content_type('multipart/x-mixed-replace; boundary="--frame"') == "frame"
    with pytest.raises(MjpegFormatError, match="not multipart"):
        boundary_from_content_type("image/jpeg")
    with pytest.raises(MjpegFormatError, match="no boundary"):
        boundary_from_content_type("multipart/x-mixed-replace")
    with pytest.raises(MjpegFormatError, match="not a decodable JPEG"):
        decode_mjpeg_part({}, b"not a jpeg", where="test part")
