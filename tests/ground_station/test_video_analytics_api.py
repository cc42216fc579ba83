"""Through the station's API: detections served to every role that sees the map, partner viewers
limited to the privacy variants (refused raw, still audited), tickets bound to their variant."""

from __future__ import annotations

import time
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


def _run(seq: int, when: datetime, kind: str, lon: float) -> DetectionsMsg:
    point = MSG.detections[0].model_copy(update={"kind": kind, "lon": lon, "track_id": seq})
    return MSG.model_copy(update={"frame_seq": seq, "time_utc": when, "detections": [point]})


HISTORY = [
    _run(100, datetime(2026, 12, 3, 12, 1, tzinfo=UTC), "person", 17.25),
    _run(105, datetime(2026, 12, 3, 12, 2, tzinfo=UTC), "vehicle", 17.26),
    _run(110, datetime(2026, 12, 3, 12, 3, tzinfo=UTC), "person", 17.45),
]


@pytest.fixture(scope="module")
def history(station: Station) -> list[DetectionsMsg]:
    """Published on the bus like the publisher does: the station's recorder stores them."""
    from ground_station.bus.catalogue import topic_for

    context = station.context
    for msg in HISTORY:
        station.client.portal.call(context.bus.publish, topic_for(DetectionsMsg, "pole-1"), msg)
    deadline = time.monotonic() + 30
    while context.recorder.detections.written < len(HISTORY):
        assert time.monotonic() < deadline, "the recorder did not store the detections"
        time.sleep(0.05)
    return HISTORY


def test_stream_history_comes_from_the_store_within_since_until(
    station: Station, history: list[DetectionsMsg]
) -> None:
    url = "/api/video/streams/pole-1/detections"
    viewer = station.headers("viewer")  # partner viewers see analytic detections: that is their purpose
    window = {"since": "2026-12-03T12:01:30Z", "until": "2026-12-03T13:03:00+01:00"}  # 12:01:30-12:03:00Z
    response = station.client.get(url, params=window, headers=viewer)
    assert response.status_code == 200, response.text
    assert [DetectionsMsg.model_validate(m) for m in response.json()] == [history[1]]
    everything = station.client.get(url, params={"since": "2026-12-01T00:00:00Z"}, headers=viewer).json()
    assert [m["frame_seq"] for m in everything] == [100, 105, 110]
    newest = station.client.get(url, params={"since": "2026-12-01T00:00:00Z", "limit": 1}, headers=viewer)
    assert [m["frame_seq"] for m in newest.json()] == [110]
    # without since/until: the in-memory latest, as before
    assert [DetectionsMsg.model_validate(m) for m in station.client.get(url, headers=viewer).json()] == [MSG]
    unknown = station.client.get("/api/video/streams/nope/detections", params=window, headers=viewer)
    assert unknown.status_code == 404


def test_map_detections_across_cameras_by_bbox_kind_and_time(
    station: Station, history: list[DetectionsMsg]
) -> None:
    def seqs(**params: object) -> list[int]:
        response = station.client.get("/api/detections", params=params, headers=station.headers("viewer"))
        assert response.status_code == 200, response.text
        return [d["frame_seq"] for d in response.json()]

    assert seqs(since="2026-12-03T12:00:30Z") == [100, 105, 110]
    assert seqs(bbox="17.2,50.2,17.3,50.4") == [100, 105]
    assert seqs(kind="vehicle") == [105]
    assert seqs(kind=["vehicle", "person"], until="2026-12-03T12:03:00Z") == [100, 105]
    assert seqs(limit=2) == [105, 110]
    first = station.client.get(
        "/api/detections", params={"limit": 1}, headers=station.headers("viewer")
    ).json()
    assert first[0] | {"camera_id": "pole-1", "kind": "person", "uncertainty_m": 1.2} == first[0]
    assert station.client.get("/api/detections").status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "bad"),
    [
        ("/api/detections", {"since": "yesterday"}, "since"),
        ("/api/detections", {"since": "2026-12-03T12:00:00"}, "since"),  # no zone: ambiguous, refused
        ("/api/detections", {"since": "2026-12-03T12:00:00Z", "until": "2026-12-03T11:00:00Z"}, "until"),
        ("/api/detections", {"since": "9999-12-31T23:00:00-05:00"}, "since"),
        ("/api/detections", {"bbox": "17.2,50.2,17.3"}, "bbox"),
        ("/api/detections", {"bbox": "17.3,50.2,17.2,50.4"}, "bbox"),
        ("/api/detections", {"bbox": "a,b,c,d"}, "bbox"),
        ("/api/detections", {"bbox": "17.2,50.2,nan,50.4"}, "bbox"),
        ("/api/detections", {"limit": "0"}, "limit"),
        ("/api/detections", {"limit": "5001"}, "limit"),
        ("/api/detections", {"kind": "horse"}, "kind"),
        ("/api/video/streams/pole-1/detections", {"until": "2026-13-01T00:00:00Z"}, "until"),
        ("/api/video/streams/pole-1/detections", {"limit": "501"}, "limit"),
        (
            "/api/video/streams/pole-1/detections",
            {"since": "2026-12-03T12:00:00Z", "until": "2026-12-03T12:00:00Z"},
            "until",
        ),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    station: Station, path: str, params: dict[str, str], bad: str
) -> None:
    response = station.client.get(path, params=params, headers=station.headers("pilot"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert [e["loc"][:2] for e in body["detail"]] == [["query", bad]], body
    assert f"query: {bad}" in body["message"]
