"""H.264 decoding through PyAV (FFmpeg's decoder): bad data raises VideoDecodeError, never crashes."""

from __future__ import annotations

from fractions import Fraction

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


class H264Encoder:
    """Constrained-baseline H.264 for live delivery (libx264 ultrafast/zerolatency, no B-frames, SPS/PPS
    on every keyframe so a viewer can join at any keyframe). Returns Annex B access units."""

    def __init__(self, width: int, height: int, fps: float, *, crf: int = 26) -> None:
        gop = max(round(fps), 1)
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = Fraction(1, 90_000)
        ctx.framerate = Fraction(fps).limit_denominator(1001)
        ctx.gop_size = gop
        ctx.thread_count = 1
        ctx.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "crf": str(crf),
            "x264-params": f"repeat-headers=1:keyint={gop}:min-keyint={gop}:scenecut=0",
        }
        ctx.open()
        self.width, self.height = width, height
        self._ctx = ctx
        self._force_keyframe = True

    def request_keyframe(self) -> None:
        self._force_keyframe = True

    def encode(self, image_bgr: ImageU8, pts_90k: int) -> list[tuple[bytes, bool]]:
        """(Annex B access unit, is keyframe) for each packet the encoder emits (zerolatency: one)."""
        frame = av.VideoFrame.from_ndarray(image_bgr, format="bgr24").reformat(format="yuv420p")
        frame.pts = pts_90k
        if self._force_keyframe:
            frame.pict_type = av.video.frame.PictureType.I
            self._force_keyframe = False
        return [(bytes(p), bool(p.is_keyframe)) for p in self._ctx.encode(frame)]
