"""H.264 decoding through PyAV (FFmpeg's decoder): bad data raises VideoDecodeError, never crashes."""

from __future__ import annotations

import av
import numpy as np

from ground_station.video.frames import ImageU8


class VideoDecodeError(ValueError):
    """H.264 that the decoder rejects: the message says what it got."""


class H264Decoder:
    """Decodes Annex B access units to BGR images. A resolution change arrives with new SPS/PPS and an
    IDR; FFmpeg's decoder reconfigures itself, so the caller just sees images of the new size."""

    def __init__(self) -> None:
        self._ctx = av.CodecContext.create("h264", "r")

    def decode(self, annexb: bytes) -> list[ImageU8]:
        try:
            frames = self._ctx.decode(av.Packet(annexb))
        except av.error.FFmpegError as exc:
            raise VideoDecodeError(
                f"H.264 decoder rejected an access unit of {len(annexb)} bytes: {exc}"
            ) from None
        return [np.asarray(f.to_ndarray(format="bgr24"), dtype=np.uint8) for f in frames]
