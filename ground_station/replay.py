"""Replays a recorded ``.tlog`` as a live vehicle: the vehicle -> GCS frames, over UDP, with their
original timing (optionally faster or slower), so the service ingests it like a real link.

Which frames are the vehicle's is decided from the HEARTBEATs at the start of the file (an autopilot
that is not a GCS); GCS -> vehicle frames recorded in the same file are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from geodata.errors import DEFAULT_MAX_INPUT_BYTES
from ground_station.links.decode import heartbeat
from ground_station.links.framing import FrameSplitter
from ground_station.links.urls import LinkKind, parse_link_url
from ground_station.tlog import TlogError, iter_tlog

SCAN_RECORDS = 20_000
BATCH_WINDOW_S = 0.002


@dataclass(frozen=True)
class ReplayReport:
    frames_sent: int
    frames_skipped: int
    duration_s: float
    recorded_duration_s: float
    vehicle_system_ids: tuple[int, ...]


def vehicle_system_ids(path: Path, *, max_bytes: int | None = DEFAULT_MAX_INPUT_BYTES) -> set[int]:
    """System ids whose HEARTBEAT says autopilot (not a GCS) within the first records of the file."""
    splitter = FrameSplitter()
    found: set[int] = set()
    for record in islice(iter_tlog(path, max_bytes=max_bytes), SCAN_RECORDS):
        for frame in splitter.feed(record.frame):
            if frame.msgid == 0 and frame.known and heartbeat(frame).from_autopilot:
                found.add(frame.sysid)
        splitter.reset()
    return found


def _target(url: str) -> tuple[str, int]:
    if "://" not in url:
        url = f"udpout://{url}"
    endpoint = parse_link_url(url)
    if endpoint.kind not in (LinkKind.UDPOUT, LinkKind.UDPIN):
        raise ValueError(f"replay sends over UDP; {url!r} is not a UDP address")
    return endpoint.host, endpoint.port


async def replay_tlog(
    path: Path | str,
    target_url: str,
    speed: float = 1.0,
    *,
    max_bytes: int | None = DEFAULT_MAX_INPUT_BYTES,
) -> ReplayReport:
    """Sends the vehicle's frames of ``path`` to ``target_url`` (``udpout://127.0.0.1:14541`` or
    ``127.0.0.1:14541``: where the station listens) at ``speed`` times the recorded pace."""
    path = Path(path)
    if not speed > 0:
        raise ValueError(f"replay speed must be positive, got {speed}")
    target = _target(target_url)
    vehicles = vehicle_system_ids(path, max_bytes=max_bytes)
    if not vehicles:
        raise TlogError(
            f"{path}: no autopilot HEARTBEAT in the first {SCAN_RECORDS} records; nothing to replay"
        )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1" if target[0].startswith("127.") else "0.0.0.0", 0))
    sock.setblocking(False)
    sent = skipped = 0
    first_us: int | None = None
    last_us = 0
    started = time.monotonic()
    try:
        for record in iter_tlog(path, max_bytes=max_bytes):
            frame = record.frame
            sysid = frame[5] if frame[0] == 0xFD else frame[3]
            if sysid not in vehicles:
                skipped += 1
                continue
            if first_us is None:
                first_us = record.time_us
            last_us = record.time_us
            due = started + (record.time_us - first_us) / 1e6 / speed
            delay = due - time.monotonic()
            if delay > BATCH_WINDOW_S:
                await asyncio.sleep(delay)
            with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
                sock.sendto(frame, target)
            sent += 1
            if sent % 256 == 0:
                await asyncio.sleep(0)  # never starve the loop during a catch-up burst
    finally:
        sock.close()
    return ReplayReport(
        frames_sent=sent,
        frames_skipped=skipped,
        duration_s=time.monotonic() - started,
        recorded_duration_s=(last_us - (first_us or last_us)) / 1e6,
        vehicle_system_ids=tuple(sorted(vehicles)),
    )
