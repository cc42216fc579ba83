"""Web UI in headless Chromium while the simulator flies 1, 10 and 50 vehicles.

    .venv/bin/python -m bench.bench_ui [--counts 1,10,50] [--measure 15] [--warmup 8] [--speed 3] [--keep DIR]

For each count: ``borderwatch demo --vehicles N --no-cameras`` (simulator child + service + patrols) on
free ports, then headless Debian Chromium (``/usr/bin/chromium`` or ``BORDERWATCH_CHROMIUM``, SwiftShader
WebGL) logs in as the demo pilot, waits for the map and every vehicle's marker, and measures over the
window:

- map fps: requestAnimationFrame callbacks per second;
- long-task share: the share of the window spent in long tasks (> 50 ms, PerformanceObserver);
- lag from a position's ``time_utc`` (the station's receive stamp) to the animation frame that draws its
  marker: p50 / p95 / max over every position drawn.

The browser (software WebGL), the service, the simulator and its N MAVLink streams share this machine's
cores, so the figures bound what one pilot's laptop would see from above, and on a shared 2-core machine
they swing with its load (read ``uptime`` alongside); repeat a run before trusting a difference of less
than ~30 %. Not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BORDERWATCH = Path(sys.executable).with_name("borderwatch")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MEASURE_JS = """async (seconds) => {
    const bench = {pending: [], lags: []};
    window.borderwatchBench = bench;
    let frames = 0, longMs = 0, running = true;
    const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longMs += entry.duration;
    });
    observer.observe({type: "longtask"});
    const tick = () => { frames += 1; if (running) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    running = false;
    observer.disconnect();
    const elapsed = (performance.now() - started) / 1000;
    window.borderwatchBench = undefined;
    return {fps: frames / elapsed, long_task_share: longMs / 1000 / elapsed, lags: bench.lags,
            markers: document.querySelectorAll(".vehicle-marker").length};
}"""


def free_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start_demo(count: int, speed: float, work: Path) -> tuple[subprocess.Popen[bytes], str, str, Path]:
    from tests.ground_station.test_e2e_support import free_udp_base

    port = free_tcp_port()
    log_path = work / f"demo-{count}.log"
    env = {**os.environ, "BORDERWATCH_DATA": str(work / "no-dem"), "BORDERWATCH_DEM": ""}
    command = [
        str(BORDERWATCH), "demo", "--vehicles", str(count), "--speed", str(speed), "--port", str(port),
        "--base-port", str(free_udp_base(count)), "--no-cameras", "--data-dir", str(work / f"data-{count}"),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60 + 3 * count
    while "Ctrl-C stops" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"demo with {count} vehicles did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    found = re.search(r"^\s+demo-pilot\s+\w+\s+(\S+)$", log_path.read_text(), re.MULTILINE)
    assert found, log_path.read_text()
    return process, f"http://127.0.0.1:{port}", found.group(1), log_path


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C to the demo; if it hangs, its whole process group (the simulator child too) is killed."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(
    browser: Any, base_url: str, password: str, count: int, seconds: float, warmup_s: float
) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 850}, bypass_csp=True)
    context.set_default_timeout(120_000)  # a service starved by N simulated vehicles answers slowly
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        page.locator("#username").fill("demo-pilot")
        page.locator("#password").fill(password)
        page.locator("#login-submit").click()
        page.locator("body[data-layers='ready'][data-map-idle]").wait_for(state="attached", timeout=120_000)
        page.wait_for_function(
            f"() => document.querySelectorAll('.vehicle-marker').length >= {count}",
            timeout=120_000 + 3000 * count,
        )
        page.wait_for_timeout(warmup_s * 1000)  # first frames: shader compilation, layer tessellation
        result: dict[str, Any] = page.evaluate(MEASURE_JS, seconds)
        return result
    finally:
        context.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default="1,10,50")
    parser.add_argument("--measure", type=float, default=15.0, help="measurement window, seconds")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds between map ready and measuring")
    parser.add_argument("--speed", type=float, default=3.0, help="simulation speed factor")
    parser.add_argument("--keep", help="directory that keeps the demo logs (default: a temp dir)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    chromium = os.environ.get("BORDERWATCH_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        print(f"bench_ui: no Chromium at {chromium}; skipped")
        return
    if not (REPO / "web" / "dist" / "index.html").is_file():
        print("bench_ui: web UI not built (scripts/setup.sh); skipped")
        return
    from playwright.sync_api import sync_playwright

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-ui-"))
    work.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for count in (int(c) for c in args.counts.split(",")):
                try:
                    process, base_url, password, _log = start_demo(count, args.speed, work)
                    try:
                        result = measure(browser, base_url, password, count, args.measure, args.warmup)
                    finally:
                        stop(process)
                except Exception as exc:  # one count failing (e.g. the machine saturated) keeps the others
                    print(
                        f"{count:>3} vehicles: no figures ({type(exc).__name__}: {str(exc)[:200]})",
                        flush=True,
                    )
                    continue
                lags = [float(v) for v in result["lags"]]
                share = 100 * result["long_task_share"]
                print(
                    f"{count:>3} vehicles: {result['fps']:5.1f} fps, long tasks {share:4.1f} %"
                    f" of the time, position->frame lag p50 {percentile(lags, 50):6.1f} ms"
                    f" p95 {percentile(lags, 95):6.1f} ms max {max(lags, default=float('nan')):6.1f} ms"
                    f" ({len(lags)} positions drawn, {result['markers']} markers)",
                    flush=True,
                )
        finally:
            browser.close()


if __name__ == "__main__":
    main()
