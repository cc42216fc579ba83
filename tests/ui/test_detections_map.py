"""Detections on the web map, in a real browser against the real service and simulator: a simulated pole
camera (the region's ``jes-namesti``, same pose) watches people and a car over a flat DEM the test writes
(400 m, ±1 m); the station's ``foreground`` detector geo-locates them, the recorder stores them, and the
map draws each near where the simulator says the object truly is, shaped by kind, with its uncertainty
circle and a popup. A partner viewer sees them (analytic data)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.synthetic_dem import write_lonlat_dem
from tests.ui.conftest import Demo, log_in, run_demo, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

GROUND_AMSL_M = 400.0
CAMERA = {"id": "jes-namesti", "lon": 17.2043, "lat": 50.2296, "height_m": 10.0, "heading_deg": 180.0}
"""The region's camera (geodata/regions/jesenik-nysa/cameras.geojson): the station's pose comes from there."""
M_PER_DEG_LAT = 110_540
M_PER_DEG_LON = 111_320 * math.cos(math.radians(CAMERA["lat"]))
PERSON_MPS, CAR_MPS = 0.8, 3.0
FRESH_S = 20.0
"""Markers younger than this are compared with the truth of their own time (older ones fade away)."""
MARGIN_M = 3.0
"""Beyond the stated uncertainty: foreground blobs are looser than the boxes the radius assumes."""


def south_of_camera(metres: float, east: float = 0.0) -> list[float]:
    return [CAMERA["lon"] + east / M_PER_DEG_LON, CAMERA["lat"] - metres / M_PER_DEG_LAT]


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320 * math.cos(lat), (a[1] - b[1]) * 110_540)


@pytest.fixture(scope="module")
def demo_camera(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Demo]:
    work = tmp_path_factory.mktemp("ui-detections")
    dem = write_lonlat_dem(
        work / "flat.tif",
        lambda lon, lat: 0.0 * lon + GROUND_AMSL_M,
        west=16.7,
        north=50.8,
        step=0.01,
        cols=120,
        rows=90,
        accuracy_m=1.0,
    )
    scenario = {
        "name": "ui-detections",
        "seed": 5,
        "vehicles": [{"slug": "sim-1", "home": {"lon": 17.21, "lat": 50.235, "alt_amsl_m": GROUND_AMSL_M}}],
        "cameras": [
            {
                **{k: CAMERA[k] for k in ("id", "lon", "lat", "height_m", "heading_deg")},
                "kind": "fixed",
                "tilt_deg": 12.0,
                "hfov_deg": 60.0,
                "vfov_deg": 34.0,
                "width": 320,
                "height": 180,
                "fps": 10,
            }
        ],
        "ground_objects": [
            {
                "kind": "person",
                "count": 3,
                "speed_mps": PERSON_MPS,
                "motion": {"type": "random_walk", "centre": south_of_camera(35.0), "radius_m": 10.0},
            },
            {
                "kind": "car",
                "count": 1,
                "speed_mps": CAR_MPS,
                "motion": {
                    "type": "road",
                    "path": [south_of_camera(55.0, -20.0), south_of_camera(55.0, 20.0)],
                },
            },
        ],
    }
    (work / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    (work / "station.toml").write_text(
        '[video]\nenabled = true\nrecord = false\ndetector = "foreground"\n', encoding="utf-8"
    )
    extra = [
        "--no-patrol",
        "--scenario", str(work / "scenario.yaml"),
        "--config", str(work / "station.toml"),
    ]  # fmt: skip
    with run_demo(
        work, vehicles=1, speed=1.0, cameras=True, env={"BORDERWATCH_DEM": str(dem)}, extra=extra
    ) as running:
        yield running


class TruthLog:
    """Where the simulator's people and cars are, read from its control API (the ready-json names it)
    five times a second in a thread, so each detection is compared with the truth of its own time."""

    def __init__(self, demo: Demo) -> None:
        ready = json.loads((demo.data_dir / "sim" / "sim-ready.json").read_text())
        self.url = f"{ready['control_url']}/ground-objects"
        self.samples: list[tuple[float, list[dict[str, Any]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client() as client:
            while not self._stop.is_set():
                response = client.get(self.url)
                if response.status_code == 200:
                    self.samples.append((time.time(), response.json()))
                self._stop.wait(0.2)

    def __enter__(self) -> TruthLog:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, when: float) -> tuple[float, list[dict[str, Any]]]:
        """The sample nearest to ``when`` (epoch seconds) and how far from it it was taken."""
        stamp, objects = min(self.samples, key=lambda sample: abs(sample[0] - when))
        return abs(stamp - when), objects


MARKERS = """async () => {
  // two frames: a marker moved by the last poll has been re-placed by MapLibre
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return [...document.querySelectorAll('.detection-marker')].map((el) => {
    const d = el.dataset, map = window.borderwatchMap;
    const p = map.project([Number(d.lon), Number(d.lat)]);
    const box = el.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
    return {kind: d.kind, lon: Number(d.lon), lat: Number(d.lat), uncertainty_m: Number(d.uncertaintyM),
            age_s: (Date.now() - Date.parse(d.timeUtc)) / 1000, time_s: Date.parse(d.timeUtc) / 1000,
            track: d.track,
            label: el.getAttribute('aria-label'), glyph: el.textContent, opacity: Number(el.style.opacity),
            dx: box.left + box.width / 2 - (frame.left + p.x),
            dy: box.top + box.height / 2 - (frame.top + p.y)};
  });
}"""


PICK_UNCOVERED_PERSON = """() => {
  // the newest person marker that nothing covers at its centre: older tracks' markers stay where they
  // were last seen for a minute, and a marker under a newer one cannot be clicked by anyone
  document.querySelectorAll('[data-test-pick]').forEach((el) => el.removeAttribute('data-test-pick'));
  const people = [...document.querySelectorAll('.detection-marker.kind-person')]
    .sort((a, b) => Date.parse(b.dataset.timeUtc) - Date.parse(a.dataset.timeUtc));
  for (const el of people) {
    const box = el.getBoundingClientRect();
    if (document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === el) {
      el.dataset.testPick = '1';
      return true;
    }
  }
  return false;
}"""


def open_a_person_popup(page: Any) -> None:
    """Clicks an uncovered person marker as a user would. Markers move with every poll, so a marker picked
    a moment ago can be covered or gone by the time of the click: pick again, a bounded number of times."""
    for _ in range(20):
        if page.evaluate(PICK_UNCOVERED_PERSON):
            try:
                page.locator("[data-test-pick]").click(timeout=5_000)
                page.locator(".detection-popup").wait_for(state="visible", timeout=5_000)
                return
            except PlaywrightTimeoutError:
                continue
        page.wait_for_function("() => true", polling="raf")  # the next frame: markers may have moved
    raise AssertionError("no person marker could be clicked in 20 attempts")


@pytest.fixture
def truth_log(demo_camera: Demo) -> Iterator[TruthLog]:
    with TruthLog(demo_camera) as log:
        yield log


def test_detections_are_drawn_near_the_true_positions(
    demo_camera: Demo, truth_log: TruthLog, new_page: Any
) -> None:
    page = new_page()
    log_in(page, demo_camera, "demo-partner")  # partner viewers see analytic detections
    page.evaluate(
        "([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat], zoom: 18})",
        south_of_camera(40.0),
    )
    # the foreground detector first learns the background (a few seconds), then people appear
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('.detection-marker')]
            .filter((el) => Date.now() - Date.parse(el.dataset.timeUtc) < {FRESH_S * 1000}).length >= 3""",
        timeout=180_000,
        polling=500,
    )
    markers = page.evaluate(MARKERS)
    fresh = [m for m in markers if m["age_s"] < FRESH_S and m["time_s"] >= truth_log.samples[0][0]]
    matched, report = [], []
    for m in fresh:
        skew, objects = truth_log.at(m["time_s"])
        same_kind = [o for o in objects if (o["kind"] == "person") == (m["kind"] == "person")]
        speed = PERSON_MPS if m["kind"] == "person" else CAR_MPS
        allowed = m["uncertainty_m"] + speed * (skew + 0.5) + MARGIN_M
        error = min(metres_between((m["lon"], m["lat"]), (o["lon"], o["lat"])) for o in same_kind)
        report.append(
            f"{m['kind']} #{m['track']}: {error:.1f} m (allowed {allowed:.1f}, age {m['age_s']:.1f} s)"
        )
        if error <= allowed:
            matched.append(m)
        # each marker is drawn where its data says (MapLibre placed the DOM element there)
        assert abs(m["dx"]) < 3 and abs(m["dy"]) < 3, m
    print("\n".join(report))
    assert len(matched) >= 0.6 * len(fresh), report
    assert any(m["kind"] == "person" for m in matched), report
    assert all(m["label"] and "jes-namesti" in m["label"] for m in markers)
    # kinds are told apart by shape, not only colour; older markers are fainter (a minute to vanish)
    assert {(m["kind"], m["glyph"]) for m in markers} <= {("person", "●"), ("vehicle", "■")}
    for m in markers:
        assert abs(m["opacity"] - (0.25 + 0.75 * (1 - m["age_s"] / 60))) < 0.1, m
    # the uncertainty circles are in the map's source, one per marker
    page.locator("body[data-map-idle]").wait_for(state="attached")
    circles = page.evaluate("() => window.borderwatchMap.querySourceFeatures('detections').length")
    assert circles >= 1
    screenshot(page, "detections")
    # the popup tells the track, camera and time
    open_a_person_popup(page)
    popup = page.locator(".detection-popup")
    text = popup.inner_text()
    assert "#" in text and "jes-namesti" in text and popup.locator("time").count() == 1
    screenshot(page, "detections-popup")
    # in Czech after a language switch (the next poll relabels every marker)
    page.locator("#app-lang").select_option("cs")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.detection-marker')]"
        ".every((el) => el.getAttribute('aria-label').includes('z kamery jes-namesti'))",
        polling=250,
    )
    page.locator("#app-lang").select_option("en")
    assert page.errors == []
