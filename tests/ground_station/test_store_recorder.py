"""The recorder writes what the bus carries: full-rate tracks per flight, events and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ground_station.bus.catalogue import topic_for
from ground_station.bus.inprocess import InProcessBus
from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    AlertSeverity,
    FlightEventKind,
    FlightEventMsg,
    LocalizedText,
    PositionMsg,
)
from ground_station.store.durable import DurableWriter
from ground_station.store.journal import Journal
from ground_station.store.recorder import Recorder
from ground_station.store.repositories import Store
from ground_station.store.sqlite import open_sqlite_store
from tests.waiting import until

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def durable_writer(store: Store, tmp_path: Path) -> DurableWriter:
    return DurableWriter(store, Journal(tmp_path / "journal.jsonl"))


async def recorder_has_alert(store: Store) -> bool:
    return await store.alerts.get("sim-1:LOW_BATTERY") is not None


def position(i: int) -> PositionMsg:
    return PositionMsg(
        vehicle_id="sim-1",
        time_utc=T0 + timedelta(milliseconds=20 * i),
        vehicle_time_ms=20 * i,
        lon=17.2 + i * 1e-6,
        lat=50.3,
        alt_amsl_m=600.0,
        alt_rel_m=40.0,
        vn_mps=1.0,
        ve_mps=0.0,
        vd_mps=0.0,
    )


async def test_flight_track_events_and_alerts_are_stored(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    bus = InProcessBus()
    recorder = Recorder(bus, store, durable_writer(store, tmp_path), flush_interval_s=0.05)
    await recorder.start()
    flight_topic = topic_for(FlightEventMsg, "sim-1")
    await bus.publish(topic_for(PositionMsg, "sim-1"), position(-1))
    await until(lambda: recorder.points_pending + recorder.points_written == 1, "the pre-flight point")
    await bus.publish(
        flight_topic,
        FlightEventMsg(
            vehicle_id="sim-1",
            time_utc=T0,
            kind=FlightEventKind.FLIGHT_STARTED,
            flight_id="f1",
            tlog_path="/t.tlog",
        ),
    )
    await until(lambda: recorder.current_flight("sim-1") == "f1", "the flight start")
    for i in range(1000):  # 50 Hz for 20 s of flight, published in a burst
        await bus.publish(topic_for(PositionMsg, "sim-1"), position(i))
    await bus.publish(
        "alert",
        AlertMsg(
            alert_id="sim-1:LOW_BATTERY",
            vehicle_id="sim-1",
            kind=AlertKind.LOW_BATTERY,
            severity=AlertSeverity.WARNING,
            message="battery low",
            messages=LocalizedText(en="battery low", cs="slabá baterie", pl="słaba bateria"),
            time_utc=T0,
        ),
    )
    await until(lambda: recorder.points_pending + recorder.points_written == 1001, "every point")
    await until(lambda: recorder_has_alert(store), "the alert")
    await bus.publish(
        flight_topic,
        FlightEventMsg(
            vehicle_id="sim-1",
            time_utc=T0 + timedelta(seconds=20),
            kind=FlightEventKind.FLIGHT_ENDED,
            flight_id="f1",
        ),
    )
    await until(lambda: recorder.current_flight("sim-1") is None, "the flight end")
    await recorder.stop()
    flight = await store.flights.get("f1")
    assert (
        flight is not None and flight.tlog_path == "/t.tlog" and flight.ended_at == T0 + timedelta(seconds=20)
    )
    track = await store.flights.track("f1")
    assert len(track) == 1000
    assert track[0].time_utc == position(0).time_utc
    assert await store.flights.track_count("sim-1") == 1001  # the point before the flight is kept too
    assert [e.kind for e in await store.flights.events("f1")] == ["FLIGHT_STARTED", "FLIGHT_ENDED"]
    alert = await store.alerts.get("sim-1:LOW_BATTERY")
    assert alert is not None and alert.messages["cs"] == "slabá baterie"
    assert recorder.points_dropped == 0 and recorder.bus_dropped == 0
    await bus.close()
    await store.close()


async def test_flight_left_open_by_a_crash_is_closed_at_its_last_point(tmp_path: Path) -> None:
    from ground_station.store.models import Flight, TrackPoint

    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    await store.flights.start(Flight("f0", "sim-1", T0, None, None))
    last = T0 + timedelta(seconds=30)
    await store.flights.add_track([TrackPoint("sim-1", "f0", last, 17.0, 50.0, 500.0, 10.0)])
    recorder = Recorder(InProcessBus(), store, durable_writer(store, tmp_path))
    await recorder.start()
    await recorder.stop()
    flight = await store.flights.get("f0")
    assert flight is not None and flight.ended_at == last
    assert [e.kind for e in await store.flights.events("f0")] == ["INTERRUPTED"]
    await store.close()
