"""Live video in the page, in a real browser against ``borderwatch demo`` with its simulated cameras: a pilot
watches a fixed camera and a drone camera and switches to the anonymised picture; a partner viewer is
offered only the anonymised and analytic pictures, and the service refuses them the camera's own; every
request to watch leaves an audit row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.ui.conftest import Demo, log_in, run_demo, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LIVE_PICTURE = """(variant) => {
    const img = document.getElementById('video-img');
    return img.dataset.state === 'live' && img.dataset.variant === variant && img.naturalWidth > 0;
}"""


@pytest.fixture(scope="module")
def video_demo(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Demo]:
    with run_demo(tmp_path_factory.mktemp("ui-video"), vehicles=1, cameras=True) as running:
        yield running


def streams_in_page(page: Any) -> list[str]:
    page.wait_for_selector("#video-list button.video-stream")
    return [b.get_attribute("data-stream-id") for b in page.locator("#video-list button.video-stream").all()]


def test_a_pilot_watches_a_fixed_and_a_drone_camera_and_switches_to_anonymised(
    video_demo: Demo, new_page: Any
) -> None:
    page = new_page()
    log_in(page, video_demo, "demo-pilot")
    streams = streams_in_page(page)
    assert "pole-mikulovice" in streams and "sim-1-gimbal" in streams, streams

    page.locator("button.video-stream[data-stream-id='pole-mikulovice']").click()
    page.wait_for_function(LIVE_PICTURE, arg="annotated")
    offered = page.locator("#video-variant option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(offered) == ["analytic", "annotated", "anonymised", "raw"]
    assert page.locator("#video-status").text_content().startswith("pole-mikulovice: live")
    screenshot(page, "video-pilot-fixed")

    page.locator("#video-variant").select_option("anonymised")
    page.wait_for_function(LIVE_PICTURE, arg="anonymised")

    page.locator("button.video-stream[data-stream-id='sim-1-gimbal']").click()
    page.wait_for_function(LIVE_PICTURE, arg="annotated")
    box = page.locator("#video-img").bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    screenshot(page, "video-pilot-drone")

    # the drone camera is on the map too, where its stream's pose says, with a footprint
    page.locator(".camera-item[data-camera-id='sim-1-gimbal'][data-stream='true']").wait_for()
    page.locator(".stream-camera-marker[data-stream-id='sim-1-gimbal']").wait_for()
    pose = next(s for s in video_demo.get("demo-pilot", "/api/video/streams") if s["id"] == "sim-1-gimbal")[
        "pose"
    ]
    drawn = page.evaluate("window.borderwatchMap.getSource('camera-streams').serialize().data.features")
    ring = next(f for f in drawn if f["properties"]["id"] == "sim-1-gimbal")["geometry"]["coordinates"][0]
    assert len(ring) >= 4
    assert all(abs(x - pose["lon"]) < 0.03 and abs(y - pose["lat"]) < 0.02 for x, y in ring), (ring, pose)

    page.locator("#video-stop").click()
    page.wait_for_function("document.getElementById('video-img').dataset.state === 'stopped'")
    assert page.locator("#video-view").is_hidden()
    assert page.errors == []


def test_a_partner_is_offered_only_privacy_pictures_and_refused_the_raw_one(
    video_demo: Demo, new_page: Any
) -> None:
    page = new_page(locale="pl-PL")
    log_in(page, video_demo, "demo-partner")
    streams_in_page(page)
    page.locator("button.video-stream[data-stream-id='pole-mikulovice']").click()
    page.wait_for_function(LIVE_PICTURE, arg="anonymised")
    offered = page.locator("#video-variant option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(offered) == ["analytic", "anonymised"]
    page.locator("#video-variant").select_option("analytic")
    page.wait_for_function(LIVE_PICTURE, arg="analytic")
    screenshot(page, "video-partner-analytic")

    token = video_demo.token("demo-partner")
    refused = httpx.post(
        f"{video_demo.base_url}/api/video/streams/pole-mikulovice/ticket",
        json={"variant": "raw"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403, refused.text
    audit = video_demo.get("demo-admin", "/api/audit?limit=500")
    partner = [row for row in audit if row["actor"] == "demo-partner"]
    asked = {row["detail"]["variant"] for row in partner if row["action"] == "video_ticket_issued"}
    assert asked >= {"anonymised", "analytic", "raw"}
    assert page.errors == []
