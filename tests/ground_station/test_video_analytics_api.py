"""Through the station's API: detections served to every role that sees the map, partner viewers
limited to the privacy variants (refused raw, still audited), tickets bound to their variant."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from ground_station.bus.messages import DetectionPoint, DetectionsMsg
from ground_station.config import VideoConfig
from tests.ground_station.test_api_support import Station, running_station, station_settings

pytestmark = pytest.mark.timeout(120)

MSG = DetectionsMsg(
    camera_id="pole-1",
    frame_seq=5,
    time_utc=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
    detections=[
        DetectionPoint(
            track_id=1,
            kind="person",
            lon=17.25,
            lat=50.3,
            alt_amsl_m=420.0,
            uncertainty_m=1.2,
            range_m=30.0,
            score=0.9,
        )
    ],
)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    root: Path = tmp_path_factory.mktemp("analytics-api")
    video_config = VideoConfig(enabled=True, detector="foreground")
    settings = station_settings(root).model_copy(update={"video": video_config})
    with running_station(root, settings=settings) as running:
        video = running.context.video
        video.streams["pole-1"] = SimpleNamespace(stream_id="pole-1")  # only membership is looked at here
        video.detection_publishers["pole-1"] = SimpleNamespace(recent=deque([MSG]))
        try:
            yield running
        finally:
            del video.streams["pole-1"]
            del video.detection_publishers["pole-1"]


def test_detections_are_served_to_partner_viewers(station: Station) -> None:
    response = station.client.get("/api/video/streams/pole-1/detections", headers=station.headers("viewer"))
    assert response.status_code == 200, response.text
    assert [DetectionsMsg.model_validate(m) for m in response.json()] == [MSG]
    missing = station.client.get("/api/video/streams/nope/detections", headers=station.headers("viewer"))
    assert missing.status_code == 404
    assert station.client.get("/api/video/streams/pole-1/detections").status_code == 401


def test_partner_viewer_gets_only_privacy_variants(station: Station) -> None:
    url = "/api/video/streams/pole-1/ticket"
    raw = station.client.post(url, json={"variant": "raw"}, headers=station.headers("viewer"))
    assert raw.status_code == 403
    for variant in ("anonymised", "analytic"):
        ok = station.client.post(url, json={"variant": variant}, headers=station.headers("viewer"))
        assert ok.status_code == 200, ok.text
        assert f"variant={variant}" in ok.json()["mjpeg_url"]
    pilot = station.client.post(url, json={"variant": "raw"}, headers=station.headers("pilot"))
    assert pilot.status_code == 200
    # A ticket for "anonymised" does not open "raw".
    ticket = station.client.post(
        url, json={"variant": "anonymised"}, headers=station.headers("viewer")
    ).json()
    swapped = station.client.get(f"/api/video/streams/pole-1/mjpeg?ticket={ticket['ticket']}&variant=raw")
    assert swapped.status_code == 401


def test_the_configured_detector_is_installed(station: Station) -> None:
    from ground_station.video.analytics.foreground import ForegroundDetector

    assert station.context.video.detector_factory is ForegroundDetector
