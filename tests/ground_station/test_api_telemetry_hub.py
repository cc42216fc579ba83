"""The WebSocket fan-out: per-vehicle rate limit, coalescing, and slow clients that never hold up others.

Every test runs on a virtual clock (``tests.virtual_time``): the hub's rate limit, the stall watch and
the tests' own sleeps all read ``loop.time()``, which jumps to the next timer whenever every task
waits. The outcomes no longer depend on how busy the machine is (they did: the slow-client tests were
flaky under load).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from ground_station.api.telemetry_hub import (
    ClientFilter,
    SlowClientError,
    TelemetryClient,
    TelemetryHub,
    TelemetryTopic,
)
from ground_station.bus.catalogue import topic_for
from ground_station.bus.inprocess import InProcessBus
from ground_station.bus.messages import AlertKind, AlertMsg, AlertSeverity, LocalizedText, PositionMsg
from tests.virtual_time import virtual_time

pytestmark = pytest.mark.timeout(30)


def position(vehicle: str, i: int) -> PositionMsg:
    return PositionMsg(
        vehicle_id=vehicle,
        time_utc=datetime.now(UTC),
        vehicle_time_ms=i,
        lon=17.0,
        lat=50.3,
        alt_amsl_m=500.0,
        alt_rel_m=50.0,
        vn_mps=0.0,
        ve_mps=0.0,
        vd_mps=0.0,
    )


class Recorder:
    """A fast consumer: keeps every frame it is sent, with its arrival time."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, dict[str, object]]] = []

    async def send(self, text: str) -> None:
        self.frames.append((asyncio.get_running_loop().time(), json.loads(text)))


@virtual_time
async def test_frames_are_rate_limited_per_vehicle_and_carry_the_newest_value() -> None:
    bus = InProcessBus()
    hub = TelemetryHub(bus, max_rate_hz=10)
    await hub.start()
    fast = Recorder()
    client = TelemetryClient(fast.send, ClientFilter())
    hub.register(client)
    sender = asyncio.create_task(client.run())
    started = asyncio.get_running_loop().time()
    for i in range(100):  # 100 Hz for one second, two vehicles
        await bus.publish(topic_for(PositionMsg, "a"), position("a", i))
        await bus.publish(topic_for(PositionMsg, "b"), position("b", i))
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.25)
    elapsed = asyncio.get_running_loop().time() - started
    for vehicle in ("a", "b"):
        frames = [f for _, f in fast.frames if f["vehicle_id"] == vehicle]
        assert 5 <= len(frames) <= elapsed * 10 + 2, len(frames)
        assert frames[-1]["data"]["position"]["vehicle_time_ms"] == 99  # type: ignore[index]
    sender.cancel()
    await hub.stop()
    await bus.close()


@virtual_time
async def test_slow_client_is_dropped_and_does_not_delay_a_fast_one() -> None:
    bus = InProcessBus()
    hub = TelemetryHub(bus, max_rate_hz=10)
    await hub.start()
    fast = Recorder()
    never = asyncio.Event()

    async def stuck_send(text: str) -> None:
        await never.wait()

    fast_client = TelemetryClient(fast.send, ClientFilter(topics=frozenset({TelemetryTopic.POSITION})))
    slow_client = TelemetryClient(stuck_send, ClientFilter(), send_timeout_s=0.3)
    hub.register(fast_client)
    hub.register(slow_client)
    fast_task = asyncio.create_task(fast_client.run())
    slow_task = asyncio.create_task(slow_client.run())
    publish_times: list[float] = []
    for i in range(60):
        publish_times.append(asyncio.get_running_loop().time())
        for vehicle in ("a", "b", "c"):
            await bus.publish(topic_for(PositionMsg, vehicle), position(vehicle, i))
        await asyncio.sleep(0.02)
    with pytest.raises(SlowClientError):
        await asyncio.wait_for(slow_task, 2)
    await asyncio.sleep(0.2)
    assert slow_client.coalesced > 0  # its frames merged while it was stuck
    latest = {f["vehicle_id"]: f["data"]["position"]["vehicle_time_ms"] for _, f in fast.frames}  # type: ignore[index]
    assert latest == {"a": 59, "b": 59, "c": 59}
    gaps = [b - a for (a, _), (b, _) in zip(fast.frames, fast.frames[1:], strict=False)]
    assert max(gaps) < 0.25, "the fast client waited for the slow one"
    assert hub.bus_dropped == 0
    fast_task.cancel()
    await hub.stop()
    await bus.close()


def alert(vehicle: str) -> AlertMsg:
    text = LocalizedText(en="low battery", cs="slabá baterie", pl="słaba bateria")
    return AlertMsg(
        alert_id=f"{vehicle}:LOW_BATTERY",
        vehicle_id=vehicle,
        kind=AlertKind.LOW_BATTERY,
        severity=AlertSeverity.WARNING,
        message=text.en,
        messages=text,
        time_utc=datetime.now(UTC),
    )


@virtual_time
async def test_vehicle_filter_applies_to_frames_and_alerts() -> None:
    bus = InProcessBus()
    hub = TelemetryHub(bus)
    await hub.start()
    seen = Recorder()
    client = TelemetryClient(seen.send, ClientFilter(vehicles=frozenset({"b"})))
    hub.register(client)
    task = asyncio.create_task(client.run())
    await bus.publish(topic_for(PositionMsg, "a"), position("a", 1))
    await bus.publish(topic_for(PositionMsg, "b"), position("b", 2))
    await bus.publish("alert", alert("a"))
    await bus.publish("alert", alert("b"))
    await asyncio.sleep(0.15)
    telemetry = [f for _, f in seen.frames if f["type"] == "telemetry"]
    alerts = [f for _, f in seen.frames if f["type"] == "alert"]
    assert [f["vehicle_id"] for f in telemetry] == ["b"]
    assert [f["alert"]["alert_id"] for f in alerts] == ["b:LOW_BATTERY"]  # type: ignore[index]
    task.cancel()
    await hub.stop()
    await bus.close()


@virtual_time
async def test_filter_change_reindexes_the_client_and_topic_filters_trim_frames() -> None:
    bus = InProcessBus()
    hub = TelemetryHub(bus, max_rate_hz=20)
    await hub.start()
    everything, positions_of_b = Recorder(), Recorder()
    all_client = TelemetryClient(everything.send, ClientFilter())
    b_client = TelemetryClient(
        positions_of_b.send,
        ClientFilter(vehicles=frozenset({"a"}), topics=frozenset({TelemetryTopic.POSITION})),
    )
    for client in (all_client, b_client):
        hub.register(client)
    tasks = [asyncio.create_task(c.run()) for c in (all_client, b_client)]
    await bus.publish(topic_for(PositionMsg, "a"), position("a", 1))
    await asyncio.sleep(0.1)
    b_client.set_filter(ClientFilter(vehicles=frozenset({"b"}), topics=frozenset({TelemetryTopic.POSITION})))
    before = len(positions_of_b.frames)
    for i in range(2, 6):
        await bus.publish(topic_for(PositionMsg, "a"), position("a", i))
        await bus.publish(topic_for(PositionMsg, "b"), position("b", i))
        await bus.publish("alert", alert("b"))
        await asyncio.sleep(0.06)
    await asyncio.sleep(0.1)
    after_change = [f for _, f in positions_of_b.frames[before:]]
    assert after_change, "the new subscription got nothing"
    assert {f["vehicle_id"] for f in after_change} == {"b"}
    assert all(set(f["data"]) == {"position"} for f in after_change)  # type: ignore[arg-type]
    seen_by_all = {f.get("vehicle_id") for _, f in everything.frames if f["type"] == "telemetry"}
    assert seen_by_all == {"a", "b"}
    assert any(f["type"] == "alert" for _, f in everything.frames)
    for task in tasks:
        task.cancel()
    await hub.stop()
    await bus.close()


@virtual_time
async def test_a_new_client_starts_from_the_newest_snapshot() -> None:
    bus = InProcessBus()
    hub = TelemetryHub(bus)
    await hub.start()
    for i in range(3):
        await bus.publish(topic_for(PositionMsg, "a"), position("a", i))
    await asyncio.sleep(0.05)
    assert json.loads(hub.latest("a")["position"])["vehicle_time_ms"] == 2
    late = Recorder()
    client = TelemetryClient(late.send, ClientFilter())
    hub.register(client)
    task = asyncio.create_task(client.run())
    await asyncio.sleep(0.05)
    assert [f["data"]["position"]["vehicle_time_ms"] for _, f in late.frames] == [2]  # type: ignore[index]
    task.cancel()
    await hub.stop()
    await bus.close()


@virtual_time
async def test_a_slow_but_moving_client_is_kept() -> None:
    """The stall limit is per send: a client that takes every frame, only slowly, is not dropped."""
    bus = InProcessBus()
    hub = TelemetryHub(bus, max_rate_hz=50)
    await hub.start()
    received: list[str] = []

    async def slow_send(text: str) -> None:
        await asyncio.sleep(0.1)
        received.append(text)

    client = TelemetryClient(slow_send, ClientFilter(), send_timeout_s=0.3)
    hub.register(client)
    task = asyncio.create_task(client.run())
    for i in range(40):  # 1 s of frames for two vehicles, each send taking a third of the limit
        await bus.publish(topic_for(PositionMsg, "a"), position("a", i))
        await bus.publish(topic_for(PositionMsg, "b"), position("b", i))
        await asyncio.sleep(0.025)
    await asyncio.sleep(0.3)
    assert not task.done(), task
    assert len(received) >= 8
    assert client.coalesced > 0
    newest = {
        json.loads(t)["vehicle_id"]: json.loads(t)["data"]["position"]["vehicle_time_ms"] for t in received
    }
    assert newest == {"a": 39, "b": 39}
    task.cancel()
    await hub.stop()
    await bus.close()
