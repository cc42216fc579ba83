"""H.264 encode (libx264 through PyAV, tuned for live low latency on one core); the station decodes.

The encoder returns each picture as a list of NAL units so the caller can add SEI before packetising.
"""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from sim.camera.rtp_h264 import H264_CLOCK_HZ, split_annexb

ImageU8 = NDArray[np.uint8]


class H264Encoder:
    """Constrained-baseline H.264, no B-frames, SPS/PPS repeated on every keyframe (late joiners)."""

    def __init__(self, width: int, height: int, fps: float, *, crf: int = 26, threads: int = 1) -> None:
        self.width = width
        self.height = height
        gop = max(round(fps), 1)
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width = width
        ctx.height = height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = Fraction(1, H264_CLOCK_HZ)
        ctx.framerate = Fraction(fps).limit_denominator(1001)
        ctx.gop_size = gop
        ctx.thread_count = threads
        ctx.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "crf": str(crf),
            "threads": str(threads),
            "x264-params": f"repeat-headers=1:keyint={gop}:min-keyint={gop}:scenecut=0:aud=1",
        }
        ctx.open()
        self._ctx = ctx
        self._force_keyframe = True

    def request_keyframe(self) -> None:
        """The next picture will be an IDR (a consumer just (re)joined)."""
        self._force_keyframe = True

    def encode(self, image_bgr: ImageU8, pts_90k: int) -> list[list[bytes]]:
        """NAL units of each access unit the encoder emits for this picture (zerolatency: exactly one)."""
        yuv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(np.asarray(yuv, dtype=np.uint8), format="yuv420p")
        frame.pts = pts_90k
        if self._force_keyframe:
            frame.pict_type = av.video.frame.PictureType.I
            self._force_keyframe = False
        return [split_annexb(bytes(packet)) for packet in self._ctx.encode(frame)]
