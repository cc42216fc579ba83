"""MAVLink 2 signing (issue 10, point 7): the simulator takes a key by SETUP_SIGNING and signs; the router
verifies, refuses unsigned frames, strips signatures for MAVSDK and signs what goes to the vehicle.

Real parts: the simulator as a subprocess, the router on real UDP sockets, a fake MAVSDK socket on the
relay, and an attacker socket sending pymavlink-built frames.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import common as mavlink_common

from ground_station.bus import InProcessBus
from ground_station.links.framing import FrameSplitter
from ground_station.links.router import LinkRouter, RouterOptions, VehicleLinkConfig
from ground_station.links.signing import LinkSigner, key_path, load_key
from ground_station.links.signing_setup import sign_vehicle
from tests.ground_station.test_vehicles_sim import simulator as _simulator

pytestmark = pytest.mark.timeout(120)
simulator = _simulator

MAV_CMD_REQUEST_MESSAGE = 512
AUTOPILOT_VERSION = 148
POLL_S = 0.05
RESEND_EVERY_S = 0.2  # the pace of resends only: nothing is asserted about it


async def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(POLL_S)


async def resend_until(
    send: Callable[[], Awaitable[object] | None], done: Callable[[], bool], what: str, timeout_s: float = 20.0
) -> None:
    """Sends until ``done``: UDP may drop a datagram on a starved machine, so one send proves nothing.
    Between sends it waits on ``done`` itself; only the pace of the resends is a time."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        sent = send()
        if inspect.isawaitable(sent):
            await sent
        next_send = time.monotonic() + RESEND_EVERY_S
        await wait_until(lambda: done() or time.monotonic() >= next_send, what)  # noqa: B023 (this round's)


def heartbeat_frame(mav: mavlink_common.MAVLink, armed: bool = True) -> bytes:
    msg = mav.heartbeat_encode(2, 12, 0x81 if armed else 0x01, 16 << 16, 4)
    return bytes(msg.pack(mav))


def test_signer_signs_verifies_refuses_replays_and_strips() -> None:
    key, other = bytes(range(32)), bytes(32 * [7])
    mav = mavlink_common.MAVLink(None, srcSystem=1, srcComponent=1)
    frame = FrameSplitter().feed_datagram(heartbeat_frame(mav))[0]
    signed_raw = LinkSigner(key).sign(frame)
    assert signed_raw is not None
    signed = FrameSplitter().feed_datagram(signed_raw)
    assert len(signed) == 1 and signed[0].known  # CRC of the flagged header is right
    receiver = LinkSigner(key)
    assert receiver.verify(signed[0])
    assert not receiver.verify(signed[0])  # the same timestamp again: a replay
    assert not LinkSigner(other).verify(signed[0])
    assert not receiver.verify(frame)  # unsigned
    stripped = FrameSplitter().feed_datagram(LinkSigner.strip(signed[0]))
    assert len(stripped) == 1 and stripped[0].known and stripped[0].raw == frame.raw


async def test_signed_link_end_to_end(simulator: dict[str, object], tmp_path: Path) -> None:
    vehicle = simulator["vehicles"][0]  # type: ignore[index]
    slug, url = vehicle["slug"], vehicle["mavlink_url"]
    host, port = url.split("://")[1].rsplit(":", 1)
    key_file = key_path(tmp_path, slug)
    installed = await sign_vehicle((host, int(port)), key_file, timeout_s=60)
    key = load_key(key_file)
    assert key is not None and installed.system_id == vehicle["system_id"]
    assert not key_file.with_suffix(".new").exists()

    bus = InProcessBus()
    router = LinkRouter(
        url,
        [VehicleLinkConfig(slug, url, signing_key=key)],
        bus.publish_nowait,
        tlog_dir=tmp_path,
        options=RouterOptions(heartbeat_timeout_s=1.0, repin_after_s=1.0, foreign_alert_interval_s=0.0),
    )
    attacker = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1)
    attacker.mav = mavlink_common.MAVLink(attacker, srcSystem=1, srcComponent=1)  # MAVLink 2, unsigned
    mavsdk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mavsdk.bind(("127.0.0.1", 0))
    mavsdk.setblocking(False)
    # the attacker speaks first: unsigned, so it must not pin the link
    await router.start()
    try:
        for _ in range(3):
            attacker.mav.heartbeat_send(2, 12, 0x81, 16 << 16, 4)
        tracker = router.trackers[slug]
        await wait_until(lambda: router.counters.unsigned_dropped >= 3, "the attacker's frames refused")
        await wait_until(lambda: tracker.connected, "the signed vehicle connected")
        pinned = router.pinned_peer(slug)
        assert pinned is not None and pinned[1] != attacker.port.getsockname()[1]
        assert not tracker.armed and tracker.flight_mode != "UNKNOWN"

        # MAVSDK's side: unsigned in, signed out; replies come back stripped of their signature
        relay_host, relay_port = router.relay_url.split("://")[1].rsplit(":", 1)  # type: ignore[union-attr]
        gcs = mavlink_common.MAVLink(None, srcSystem=245, srcComponent=190)
        request = gcs.command_long_encode(
            installed.system_id, 1, MAV_CMD_REQUEST_MESSAGE, 0, AUTOPILOT_VERSION, 0, 0, 0, 0, 0, 0
        )
        relayed: list[bytes] = []
        loop = asyncio.get_running_loop()

        def autopilot_version_relayed() -> bool:
            while True:
                try:
                    relayed.append(mavsdk.recv(65536))
                except BlockingIOError:
                    break
            return any(
                f.msgid == AUTOPILOT_VERSION for d in relayed for f in FrameSplitter().feed_datagram(d)
            )

        await resend_until(  # the vehicle answers only a validly signed request
            lambda: loop.sock_sendto(mavsdk, bytes(request.pack(gcs)), (relay_host, int(relay_port))),
            autopilot_version_relayed,
            "AUTOPILOT_VERSION for the signed request",
        )
        frames = [f for d in relayed for f in FrameSplitter().feed_datagram(d)]
        assert frames and all(f.known and not f.raw[2] & 1 for f in frames)  # stripped, CRC fixed

        # the vehicle goes silent; an unsigned stranger still cannot take the link over
        sim_pid = int(simulator.get("pid", 0)) or None  # type: ignore[call-overload]
        if sim_pid is None:
            pytest.skip("the simulator fixture gives no pid to pause")
        os.kill(sim_pid, signal.SIGSTOP)
        try:
            await wait_until(lambda: not tracker.connected, "the link lost")
            before = router.counters.unsigned_dropped
            await resend_until(
                lambda: attacker.mav.heartbeat_send(2, 12, 0x81, 16 << 16, 4),
                lambda: router.counters.unsigned_dropped >= before + 3,
                "three more unsigned heartbeats refused",
            )
            assert router.pinned_peer(slug) == pinned and router.counters.repins == 0
        finally:
            os.kill(sim_pid, signal.SIGCONT)
        await wait_until(lambda: tracker.connected, "the vehicle back")
        assert not tracker.armed and router.counters.repins == 0
    finally:
        attacker.close()
        mavsdk.close()
        await router.stop()
        await bus.close()


async def test_signed_link_repins_only_on_a_validly_signed_heartbeat(tmp_path: Path) -> None:
    """pymavlink's own signing (``setup_signing``) plays the vehicle; repin_after_s=0 takes time out of it."""
    key = bytes(range(100, 132))
    bus = InProcessBus()
    router = LinkRouter(
        "udpin://127.0.0.1:0",
        [VehicleLinkConfig("sim-1", "", signing_key=key)],
        bus.publish_nowait,
        tlog_dir=tmp_path,
        options=RouterOptions(relay_to_mavsdk=False, repin_after_s=0.0, station_heartbeat=False),
    )
    await router.start()
    assert router.local_address is not None
    port = router.local_address[1]

    def vehicle(signing_key: bytes | None) -> mavutil.mavfile:
        conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1)
        conn.mav = mavlink_common.MAVLink(conn, srcSystem=1, srcComponent=1)  # MAVLink 2: signable
        if signing_key is not None:
            conn.setup_signing(signing_key, sign_outgoing=True)
        return conn

    first, stranger, wrong_key, moved = vehicle(key), vehicle(None), vehicle(bytes(32 * [9])), vehicle(key)
    try:
        first.mav.heartbeat_send(2, 12, 0x01, 3 << 16, 4)
        await wait_until(lambda: router.pinned_peer("sim-1") is not None, "the first signed heartbeat pins")
        pinned = router.pinned_peer("sim-1")
        stranger.mav.heartbeat_send(2, 12, 0x81, 16 << 16, 4)
        wrong_key.mav.heartbeat_send(2, 12, 0x81, 16 << 16, 4)
        await wait_until(lambda: router.counters.unsigned_dropped >= 2, "unsigned and wrongly signed refused")
        assert router.pinned_peer("sim-1") == pinned and router.counters.repins == 0
        moved.mav.heartbeat_send(2, 12, 0x01, 3 << 16, 4)
        await wait_until(lambda: router.counters.repins == 1, "a validly signed heartbeat re-pins")
        assert router.pinned_peer("sim-1") != pinned
        assert not router.trackers["sim-1"].armed
    finally:
        for conn in (first, stranger, wrong_key, moved):
            conn.close()
        await router.stop()
        await bus.close()


async def test_an_unsigned_stranger_cannot_bind_a_signed_vehicles_system_id(tmp_path: Path) -> None:
    key = bytes(range(1, 33))
    bus = InProcessBus()
    router = LinkRouter(
        "udpin://127.0.0.1:0",
        [VehicleLinkConfig("sim-1", "", signing_key=key)],  # system id taken from the first heartbeat
        bus.publish_nowait,
        tlog_dir=tmp_path,
        options=RouterOptions(relay_to_mavsdk=False, station_heartbeat=False),
    )
    await router.start()
    assert router.local_address is not None
    port = router.local_address[1]
    stranger = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=7, source_component=1)
    stranger.mav = mavlink_common.MAVLink(stranger, srcSystem=7, srcComponent=1)
    real = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1)
    real.mav = mavlink_common.MAVLink(real, srcSystem=1, srcComponent=1)
    real.setup_signing(key, sign_outgoing=True)
    try:
        stranger.mav.heartbeat_send(2, 12, 0x81, 16 << 16, 4)
        await wait_until(lambda: router.counters.unsigned_dropped >= 1, "the stranger's heartbeat refused")
        assert router.trackers["sim-1"].system_id == 0
        real.mav.heartbeat_send(2, 12, 0x01, 3 << 16, 4)
        await wait_until(lambda: router.trackers["sim-1"].connected, "the signed vehicle bound")
        assert router.trackers["sim-1"].system_id == 1
    finally:
        stranger.close()
        real.close()
        await router.stop()
        await bus.close()
