"""Telemetry bus: catalogue checks, NATS wildcard matching, drop-oldest isolation of slow subscribers."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from ground_station.bus import (
    CATALOGUE,
    InProcessBus,
    UnknownTopicError,
    WrongMessageTypeError,
    decode,
    encode,
    message_type_for,
    pattern_matches,
    topic_for,
    validate_pattern,
)
from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    AlertSeverity,
    BatteryMsg,
    LocalizedText,
    PositionMsg,
)

pytestmark = pytest.mark.timeout(20)


def position(vehicle_id: str = "sim-1", seq: int = 0) -> PositionMsg:
    return PositionMsg(
        vehicle_id=vehicle_id,
        time_utc=dt.datetime.now(dt.UTC),
        vehicle_time_ms=seq,
        lon=17.2,
        lat=50.3,
        alt_amsl_m=500.0,
        alt_rel_m=50.0,
        vn_mps=1.0,
        ve_mps=2.0,
        vd_mps=0.0,
        heading_deg=63.0,
    )


def test_every_catalogue_type_round_trips_through_its_wire_format() -> None:
    alert = AlertMsg(
        alert_id="a1",
        vehicle_id="sim-1",
        kind=AlertKind.ZONE_ENTRY,
        severity=AlertSeverity.CRITICAL,
        message="entering zone",
        messages=LocalizedText(en="entering zone", cs="vstup do zóny", pl="wejście do strefy"),
        time_utc=dt.datetime.now(dt.UTC),
        predicted=True,
        zone_id="CZ-P1",
    )
    for topic, msg in (("vehicle.sim-1.position", position()), ("alert", alert)):
        assert decode(topic, encode(topic, msg)) == msg
    assert len({spec.pattern for spec in CATALOGUE}) == len(CATALOGUE)


def test_topics_come_from_the_catalogue_only() -> None:
    assert topic_for(PositionMsg, "dji-hzs-1") == "vehicle.dji-hzs-1.position"
    assert topic_for(AlertMsg) == "alert"
    assert message_type_for("vehicle.sim-2.battery") is BatteryMsg
    with pytest.raises(UnknownTopicError):
        message_type_for("vehicle.sim-2.nonsense")
    with pytest.raises(ValueError, match="slug"):
        topic_for(PositionMsg, "bad.id")
    with pytest.raises(ValueError):
        topic_for(PositionMsg)
    with pytest.raises(ValueError):
        decode("vehicle.sim-1.position", b'{"vehicle_id": "sim-1"}')


def test_nats_wildcards() -> None:
    assert pattern_matches("vehicle.*.position", "vehicle.a.position")
    assert not pattern_matches("vehicle.*.position", "vehicle.a.battery")
    assert pattern_matches("vehicle.>", "vehicle.a.battery")
    assert not pattern_matches("vehicle.>", "vehicle")
    assert pattern_matches(">", "alert")
    assert not pattern_matches("vehicle.*", "vehicle.a.position")
    with pytest.raises(ValueError):
        validate_pattern("vehicle.>.position")
    with pytest.raises(ValueError):
        validate_pattern("vehicle..x")


async def test_publish_rejects_a_message_of_the_wrong_type() -> None:
    bus = InProcessBus()
    with pytest.raises(WrongMessageTypeError):
        await bus.publish("vehicle.sim-1.battery", position())
    with pytest.raises(UnknownTopicError):
        await bus.publish("nowhere", position())


async def test_subscribers_get_only_matching_topics_in_order() -> None:
    bus = InProcessBus()
    one = bus.subscribe("vehicle.sim-1.>")
    positions = bus.subscribe("vehicle.*.position")
    for seq in range(5):
        await bus.publish("vehicle.sim-1.position", position("sim-1", seq))
        await bus.publish("vehicle.sim-2.position", position("sim-2", seq))
    got_one = [msg.vehicle_time_ms for _, msg in one.drain()]
    got_all = [(topic, msg.vehicle_time_ms) for topic, msg in positions.drain()]
    assert got_one == [0, 1, 2, 3, 4]
    assert len(got_all) == 10
    assert got_all[:2] == [("vehicle.sim-1.position", 0), ("vehicle.sim-2.position", 0)]


async def test_slow_subscriber_drops_oldest_and_never_slows_a_fast_one() -> None:
    bus = InProcessBus()
    slow = bus.subscribe("vehicle.>", maxsize=10)
    fast = bus.subscribe("vehicle.>", maxsize=10)
    received: list[int] = []

    async def consume_fast() -> None:
        async for _, msg in fast:
            assert isinstance(msg, PositionMsg)
            received.append(msg.vehicle_time_ms)
            if msg.vehicle_time_ms == 999:
                return

    consumer = asyncio.create_task(consume_fast())
    for seq in range(1000):
        await bus.publish("vehicle.sim-1.position", position(seq=seq))
        if seq % 5 == 0:
            await asyncio.sleep(0)  # the fast consumer gets the loop; the slow one never reads
    await asyncio.wait_for(consumer, 5)

    assert received == list(range(1000))
    assert fast.dropped == 0
    assert slow.dropped == 990
    kept = [msg.vehicle_time_ms for _, msg in slow.drain()]
    assert kept == list(range(990, 1000))  # the newest survive


async def test_close_ends_iteration_and_stops_delivery() -> None:
    bus = InProcessBus()
    sub = bus.subscribe("alert")

    async def collect() -> list[str]:
        return [topic async for topic, _ in sub]

    task = asyncio.create_task(collect())
    await asyncio.sleep(0)
    sub.close()
    assert await asyncio.wait_for(task, 2) == []
    await bus.publish("vehicle.sim-1.position", position())
    assert bus.subscriptions == ()
