"""Geo-located detections: published on ``camera.<id>.detections`` per detector run, kept for the API,
and within the stated uncertainty of the simulator's true positions."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np

from geodata.crs import LocalTangentPlane
from ground_station.bus.catalogue import message_type_for
from ground_station.bus.inprocess import InProcessBus
from ground_station.bus.messages import DetectionsMsg
from ground_station.video.analytics.publisher import DetectionPublisher
from ground_station.video.ingest import FixedPose, PoseSource, SensorBinding, SensorPose, VideoFrame
from tests.ground_station import analytics_scene as scene
from tests.ground_station.test_video_analytics import NoisyTruthDetector

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
V = scene.VIEW


class FrameList:
    """Stands in for an IngestStream: hands out the given frames in order, then waits."""

    def __init__(self, frames: list[VideoFrame]) -> None:
        self.stream_id = "pole-1"
        self.frames = frames
        fixed = FixedPose(V.lon, V.lat, V.alt_amsl_m, V.heading_deg, V.pitch_deg, V.hfov_deg, V.vfov_deg)
        self.source = SimpleNamespace(binding=SensorBinding("pole-1", fixed=fixed))

    async def next_frame(self, after_seq: int, timeout_s: float) -> VideoFrame | None:
        for frame in self.frames:
            if frame.seq > after_seq:
                return frame
        await asyncio.sleep(timeout_s)
        return None


async def test_detections_are_published_and_land_on_the_true_positions() -> None:
    detector = NoisyTruthDetector()
    pose = SensorPose(PoseSource.FIXED, V.lon, V.lat, V.alt_amsl_m, 8.0, V.heading_deg, V.pitch_deg)
    rendered = list(scene.frames(10))
    frames = [
        VideoFrame(
            "pole-1",
            f.index,
            np.asarray(f.image),
            0.0,
            T0 + timedelta(seconds=f.index / 25),
            pose,
            None,
            None,
            None,
            False,
        )
        for f in rendered
    ]

    class TruthPerFrame:
        """The noisy truth of whichever frame the pipeline is looking at."""

        def detect(self, image: np.ndarray) -> list:  # type: ignore[type-arg]
            index = next(i for i, f in enumerate(frames) if f.image is image)
            detector.truth = rendered[index].truth
            return detector.detect(image)

    bus = InProcessBus()
    sub = bus.subscribe("camera.*.detections")
    stream = FrameList(frames)
    publisher = DetectionPublisher(stream, bus, scene.TERRAIN, TruthPerFrame(), detect_every=5)  # type: ignore[arg-type]
    publisher.start()
    messages = []
    try:
        async with asyncio.timeout(60):
            async for topic, msg in sub:
                assert topic == "camera.pole-1.detections"
                assert message_type_for(topic) is DetectionsMsg
                messages.append(msg)
                if len(messages) == 2:
                    break
    finally:
        await publisher.close()
    assert [m.frame_seq for m in messages] == [0, 5]  # one message per detector run (5 Hz of 25 fps)
    assert list(publisher.recent) == messages
    ltp = LocalTangentPlane(scene.HOME_LON, scene.HOME_LAT, scene.GROUND_M)
    errors = []
    for msg in messages:
        assert isinstance(msg, DetectionsMsg)
        truth = rendered[msg.frame_seq]
        assert msg.time_utc == frames[msg.frame_seq].time_utc
        assert len(msg.detections) == len(truth.truth)
        for point in msg.detections:
            # nearest true object of the same kind
            e, n, _ = ltp.to_enu(point.lon, point.lat, scene.GROUND_M)
            best = min(
                math.hypot(float(e) - float(te), float(n) - float(tn))
                for obj in truth.objects.values()
                if (obj.kind.value == "person") == (point.kind == "person")
                for te, tn, _ in [ltp.to_enu(obj.lon, obj.lat, scene.GROUND_M)]
            )
            errors.append(best)
            assert best <= point.uncertainty_m, (point, best)
    assert max(errors) < 6.0
    print(f"geolocation error with noisy boxes: median {np.median(errors):.2f} m, max {max(errors):.2f} m")
