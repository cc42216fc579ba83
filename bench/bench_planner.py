"""The planner's live validation as a pilot feels it: time from an edit to the drawn verdict.

    .venv/bin/python -m bench.bench_planner [--zones 10000] [--edits 30] [--keep DIR] [--ablate]

Set-up (issue 15): ``borderwatch demo`` (one drone, no cameras, no patrol) over the shared regional DEM
(``../shared/data/dem/region_dem_srtm30plus_1500m.tif``) with the region's zones plus ``--zones`` seeded
synthetic zones (``bench.bench_missions.synthetic_zones``: its docstring states the distributions) imported
into the demo's data directory with ``borderwatch zones import``, exactly as a user adds zones. Headless
Debian Chromium logs in as the demo pilot; the planner gets the 1,000-item terrain-following survey of
``bench.bench_missions.survey_mission`` and validates it once (warm-up). Then each edit moves one waypoint
of the middle of the survey by a few metres through the planner's own ``moveItem`` (what dragging a marker
calls) and the page records, once with the map showing the whole region and once fitted to the survey
(as a pilot editing it sees it; zones are raster tiles below z14, ``geodata.zones.tiles``), each view with
``--edits`` single edits made on a map at rest (the goal's case) and ``--edits`` edits back to back (each
right after the previous verdict was drawn, while its map repaints may still run: a drag or fast typing):

- **edit → drawn verdict**: from the edit to the first animation frame after the verdict left "checking"
  (includes the edit's own redraw, the request, validation in the service, and drawing the verdict);
- **request → drawn verdict**: the same from the moment the check request left;
- the service's share: the ``/api/missions/check`` request's duration from the page's resource timing;
- the page's own synchronous work per edit (route and violations on the map, verdict panel) and the
  map's frame rate while idle: headless Chromium draws WebGL in software (SwiftShader), where each frame with
  thousands of zone polygons on screen is slow and delays the drawn verdict.

p50 / p95 / max over ``--edits`` edits. The goal is p95 < 500 ms edit → drawn verdict. Not a test: nothing
here passes or fails; on a shared 2-core machine figures swing with its load (read ``uptime`` beside them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_missions import DEM, survey_mission, synthetic_zones
from bench.bench_ui import BORDERWATCH, CHROMIUM_ARGS, REPO, free_tcp_port, percentile, stop
from geodata.zones.model import Zone, ZoneVolume

EDIT_JS = """async ([index, edits, settle]) => {
    const planner = window.borderwatch.planner;
    const verdict = () => document.getElementById('plan-verdict').dataset.verdict;
    const settled = () => new Promise((resolve) => {
        const check = () => (verdict() === 'legal' || verdict() === 'illegal')
            ? requestAnimationFrame(() => resolve(performance.now()))
            : setTimeout(check, 2);
        check();
    });
    const results = [];
    const map = window.borderwatchMap;
    performance.setResourceTimingBufferSize(100000); // the default 250 entries fill up in a long run
    const idle = () => new Promise((resolve) => { map.once('idle', resolve); map.triggerRepaint(); });
    for (let k = 0; k < edits; k++) {
        if (settle) await idle();
        const item = planner.draft.items[index];
        const before = performance.getEntriesByType('resource').length;
        const t0 = performance.now();
        planner.moveItem(index, item.lon + (k % 2 ? -1 : 1) * 0.00005, item.lat);
        const drawn = await settled();
        const checks = performance.getEntriesByType('resource').slice(before)
            .filter((e) => e.name.endsWith('/api/missions/check'));
        const request = checks[checks.length - 1];
        results.push({edit_to_drawn_ms: drawn - t0,
                      request_to_drawn_ms: request ? drawn - request.startTime : null,
                      service_ms: request ? request.duration : null});
    }
    return results;
}"""


FRAMES_JS = """async (seconds) => {
    let frames = 0, running = true;
    const tick = () => { frames += 1; if (running) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    running = false;
    return frames / seconds;
}"""

PAGE_WORK_JS = """() => {
    const p = window.borderwatch.planner, out = {};
    const time = (name, f) => { const t0 = performance.now(); f(); out[name] = performance.now() - t0; };
    time('plan_layer_ms', () => p.drawPlan());
    time('verdict_panel_ms', () => p.render());
    return out;
}"""


def write_zones(count: int, work: Path) -> Path:
    from geodata.zones.ed269 import dump_ed269

    path = work / f"synthetic-{count}.json"
    path.write_text(json.dumps(dump_ed269(valid_synthetic_zones(count), title=f"{count} synthetic zones")))
    return path


def valid_synthetic_zones(count: int) -> list[Zone]:
    """The first ``count`` zones of the seeded generator that an importer accepts: the generator draws
    AGL bands independently, so ~2 % have their lower limit above the upper one (the import rejects those)."""
    zones: list[Zone] = []
    drawn = count
    while len(zones) < count:
        drawn += count // 20 + 10
        zones = [z for z in synthetic_zones(drawn) if all(_band_ok(v) for v in z.volumes)][:count]
    return zones


def _band_ok(volume: ZoneVolume) -> bool:
    lower, upper = volume.lower, volume.upper
    return lower.ref is not upper.ref or lower.value_m <= upper.value_m


def start_demo(work: Path, zones_file: Path | None) -> tuple[subprocess.Popen[bytes], str, str]:
    from tests.ground_station.test_e2e_support import free_udp_base

    data_dir = work / "data"
    env = {**os.environ, "BORDERWATCH_DATA": str(data_dir), "BORDERWATCH_DEM": str(DEM)}
    if zones_file is not None:
        subprocess.run([str(BORDERWATCH), "zones", "import", str(zones_file)], env=env, check=True, cwd=REPO)
    port = free_tcp_port()
    log_path = work / "demo.log"
    command = [
        str(BORDERWATCH), "demo", "--vehicles", "1", "--port", str(port),
        "--base-port", str(free_udp_base(1)), "--no-cameras", "--no-patrol", "--data-dir", str(data_dir),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 180
    while "Ctrl-C stops" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the demo did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    found = re.search(r"^\s+demo-pilot\s+\w+\s+(\S+)$", log_path.read_text(), re.MULTILINE)
    assert found, log_path.read_text()
    return process, f"http://127.0.0.1:{port}", found.group(1)


GPU_PROCESS_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]

VIEWS = ("region", "survey")
"""Where the map looks while the edits are timed: the whole region as the page opens (zones as raster
tiles), then fitted to the survey as a pilot editing it sees it (zones as vectors from z12)."""

FIT_SURVEY_JS = """() => {
    const map = window.borderwatchMap;
    const placed = window.borderwatch.planner.draft.items.filter((i) => i.lon !== undefined);
    const lons = placed.map((i) => i.lon), lats = placed.map((i) => i.lat);
    map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
                  {padding: 40, animate: false});
}"""


def measure(
    browser: Any, base_url: str, password: str, draft: dict[str, Any], edits: int, ablation: bool = False
) -> dict[str, list[dict[str, Any]]]:
    context = browser.new_context(viewport={"width": 1400, "height": 850}, bypass_csp=True)
    context.set_default_timeout(180_000)
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        page.locator("#username").fill("demo-pilot")
        page.locator("#password").fill(password)
        page.locator("#login-submit").click()
        page.locator("body[data-layers='ready'][data-terrain='loaded']").wait_for(state="attached")
        page.evaluate(
            "(draft) => { const p = window.borderwatch.planner; p.draft = draft; p.changed(true); }", draft
        )
        page.wait_for_function(
            "() => ['legal', 'illegal'].includes(document.getElementById('plan-verdict').dataset.verdict)"
        )
        middle = len(draft["items"]) // 2
        index = next(i for i in range(middle, len(draft["items"])) if draft["items"][i]["kind"] == "waypoint")
        results: dict[str, list[dict[str, Any]]] = {}
        for view in VIEWS:
            if view == "survey":
                page.evaluate(FIT_SURVEY_JS)
            page.wait_for_function(
                "() => window.borderwatchMap.areTilesLoaded() && window.borderwatchMap.loaded()"
            )
            result: list[dict[str, Any]] = page.evaluate(EDIT_JS, [index, edits, True])
            for row in page.evaluate(EDIT_JS, [index, edits, False]):
                result.append({**row, "back_to_back": True})
            frames = page.evaluate(FRAMES_JS, 5.0)
            timings = page.evaluate(PAGE_WORK_JS)
            zoom = page.evaluate("window.borderwatchMap.getZoom()")
            result.append({"frames_per_s": frames, "zoom": zoom, **timings})
            results[view] = result
            if ablation:
                ablate(page, index)
                page.reload()  # the ablation switched layers off; the next view starts whole again
                page.locator("body[data-layers='ready'][data-terrain='loaded']").wait_for(state="attached")
                page.evaluate(
                    "(draft) => { const p = window.borderwatch.planner; p.draft = draft; p.changed(true); }",
                    draft,
                )
        return results
    finally:
        context.close()


# Each stage switches one more part of the page off, then counts frames for 3 s and times 3 edits.
ABLATION_STAGES = (
    ("draft loaded", "() => {}"),
    ("+ zone outlines hidden", "() => { for (const id of ['zones-line', 'zones-line-approximate'])"
     " window.borderwatchMap.setLayoutProperty(id, 'visibility', 'none'); }"),
    ("+ zone fill and tiles hidden", "() => { for (const id of ['zones-fill', 'zones-overview'])"
     " window.borderwatchMap.setLayoutProperty(id, 'visibility', 'none'); }"),
    ("+ plan layers hidden", "() => { for (const id of ['plan-violations-line', 'plan-violations-point',"
     " 'plan-route']) window.borderwatchMap.setLayoutProperty(id, 'visibility', 'none'); }"),
    ("+ waypoint markers removed",
     "() => { for (const m of window.borderwatch.planner.markers) m.remove(); }"),
    ("+ altitude profile emptied", "() => document.getElementById('plan-profile').replaceChildren()"),
)  # fmt: skip


def ablate(page: Any, index: int) -> None:
    """Where the page's time goes: what a stage removes is what it cost (frames/s up, edit time down)."""
    page.evaluate(
        "() => { window.__renders = 0; window.borderwatchMap.on('render', () => window.__renders++); }"
    )
    for name, switch_off in ABLATION_STAGES:
        page.evaluate(switch_off)
        renders_before = page.evaluate("window.__renders")
        fps = page.evaluate(FRAMES_JS, 3.0)
        renders = (page.evaluate("window.__renders") - renders_before) / 3.0
        edits = [round(r["edit_to_drawn_ms"]) for r in page.evaluate(EDIT_JS, [index, 3, True])]
        print(f"  {name:<28} {fps:5.1f} frames/s, {renders:4.1f} map renders/s; edits -> drawn {edits} ms")


def summary(name: str, values: list[float]) -> str:
    return (
        f"  {name:<26} p50 {percentile(values, 50):7.1f} ms  p95 {percentile(values, 95):7.1f} ms"
        f"  max {max(values, default=float('nan')):7.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="keep the demo's files here")
    parser.add_argument("--ablate", action="store_true", help="then switch parts of the page off, one by one")
    parser.add_argument(
        "--gl",
        choices=("in-process", "gpu-process"),
        default="in-process",
        help="in-process: --disable-gpu as in the UI tests, WebGL drawn by SwiftShader on the page's main "
        "thread, which then waits for every map frame (worst case); gpu-process: SwiftShader in Chromium's "
        "GPU process, the way a browser with a graphics card draws (off the main thread)",
    )
    args = parser.parse_args(argv)
    if not DEM.is_file():
        sys.exit(f"the shared regional DEM is missing ({DEM}); this benchmark needs real terrain")
    from playwright.sync_api import sync_playwright

    from geodata.terrain import DemTerrain
    from tests.ui.conftest import chromium_path

    chromium = chromium_path()
    if chromium is None:
        sys.exit("no Chromium (apt-get install chromium, or set BORDERWATCH_CHROMIUM)")
    mission = survey_mission(DemTerrain.open(DEM))
    draft = mission.model_dump(mode="json")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-planner-"))
    work.mkdir(parents=True, exist_ok=True)
    zones_file = write_zones(args.zones, work) if args.zones else None
    print(
        f"planner live validation: {len(mission.items)}-item survey, region zones + {args.zones} synthetic;"
        f" WebGL {args.gl}"
    )
    process, base_url, password = start_demo(work, zones_file)
    try:
        with sync_playwright() as playwright:
            chromium_args = CHROMIUM_ARGS
            if args.gl == "gpu-process":
                chromium_args = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + GPU_PROCESS_ARGS
            browser = playwright.chromium.launch(executable_path=chromium, args=chromium_args, headless=True)
            try:
                results = measure(browser, base_url, password, draft, args.edits, args.ablate)
            finally:
                browser.close()
    finally:
        stop(process)
    print(f"  load average {os.getloadavg()[0]:.1f}")
    for view, result in results.items():
        page_work = result.pop()
        print(f"  view: {view} (map zoom {page_work['zoom']:.1f})")
        for label, rows in (
            ("one edit, map at rest", [r for r in result if not r.get("back_to_back")]),
            ("edits back to back", [r for r in result if r.get("back_to_back")]),
        ):
            print(f"   {label} ({len(rows)} edits):")
            print(summary("edit -> drawn verdict", [r["edit_to_drawn_ms"] for r in rows]))
            print(
                summary(
                    "request -> drawn verdict",
                    [r["request_to_drawn_ms"] for r in rows if r["request_to_drawn_ms"]],
                )
            )
            print(summary("service (check request)", [r["service_ms"] for r in rows if r["service_ms"]]))
        print(
            f"  the page's own work per edit: route and violations on the map"
            f" {page_work['plan_layer_ms']:.0f} ms, verdict panel {page_work['verdict_panel_ms']:.0f} ms;"
            f" map frames while idle: {page_work['frames_per_s']:.1f}/s (software WebGL)"
        )
        goal = percentile([r["edit_to_drawn_ms"] for r in result if not r.get("back_to_back")], 95)
        print(
            f"  goal p95 < 500 ms, one edit on a map at rest -> drawn verdict:"
            f" {'met' if goal < 500 else 'MISSED'} ({goal:.0f} ms)"
        )


if __name__ == "__main__":
    main()
