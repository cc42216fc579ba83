"""The burnt-in capture clock survives JPEG and H.264 and is read back to the millisecond."""

from __future__ import annotations

import cv2
import numpy as np

from ground_station.video.h264 import H264Decoder
from sim.camera.burnin import burn_clock, read_clock
from sim.camera.codec import H264Encoder
from sim.camera.rtp_h264 import join_annexb


def test_clock_round_trips_through_jpeg_and_h264() -> None:
    rng = np.random.default_rng(4)
    now_ms = 1_780_000_000_123
    image = cv2.GaussianBlur(rng.integers(0, 255, (240, 352, 3), dtype=np.uint8), (9, 9), 3)
    burn_clock(image, now_ms - 87)
    jpeg = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 60])[1], cv2.IMREAD_COLOR)
    assert read_clock(jpeg, now_ms) == now_ms - 87
    encoder, decoder = H264Encoder(352, 240, 30.0), H264Decoder()
    decoded = decoder.decode(join_annexb(encoder.encode(image, 0)[0]))
    assert read_clock(decoded[-1], now_ms + 5) == now_ms - 87
