"""Geo-located detections in the store: round trip and queries, retention by age, and the recorder's
telemetry-class handling (from ``camera.*.detections``, batched; under a locked database kept, bounded,
and what falls off counted and reported in health)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ground_station.bus.catalogue import topic_for
from ground_station.bus.inprocess import InProcessBus
from ground_station.bus.messages import DetectionPoint, DetectionsMsg
from ground_station.store.models import DetectionQuery, DetectionRecord
from ground_station.store.recorder import Recorder
from ground_station.store.sqlite import open_sqlite_store
from tests.ground_station.test_store_durable import locked
from tests.ground_station.test_store_recorder import durable_writer
from tests.waiting import until

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def run(camera: str, seq: int, seconds: float, points: list[tuple[str, float, float]]) -> DetectionsMsg:
    """One detector run: (kind, lon, lat) per detection."""
    return DetectionsMsg(
        camera_id=camera,
        frame_seq=seq,
        time_utc=T0 + timedelta(seconds=seconds),
        detections=[
            DetectionPoint(
                track_id=i + 1,
                kind=kind,
                lon=lon,
                lat=lat,
                alt_amsl_m=420.0,
                uncertainty_m=1.5 + i,
                range_m=30.0,
                score=0.8,
            )
            for i, (kind, lon, lat) in enumerate(points)
        ],
    )


def record(
    camera: str, seq: int, seconds: float, kind: str = "person", lon: float = 17.25
) -> DetectionRecord:
    return DetectionRecord(
        camera, seq, T0 + timedelta(seconds=seconds), 1, kind, lon, 50.3, 420.0, 1.0, 30.0, 0.9
    )


async def test_round_trip_and_queries(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    rows = [
        record("pole-1", 0, 0.0),
        record("pole-1", 0, 0.0, "vehicle", 17.26),
        record("pole-1", 5, 1.0),
        record("pole-2", 0, 0.5, lon=17.40),
        record("pole-1", 10, 2.0),
    ]
    await store.detections.add(rows)
    assert await store.detections.count() == 5 and await store.detections.count("pole-2") == 1
    everything = await store.detections.find(DetectionQuery())
    assert sorted(everything, key=lambda r: (r.time_utc, r.camera_id, r.lon)) == everything  # oldest first
    assert set(everything) == set(rows)  # every field back as written, times timezone-aware
    assert all(r.time_utc.tzinfo is not None for r in everything)
    one = DetectionQuery(camera_id="pole-1", since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=2))
    assert await store.detections.find(one) == [rows[2]]  # since inclusive, until exclusive
    box = DetectionQuery(bbox=(17.3, 50.0, 17.5, 50.5))
    assert await store.detections.find(box) == [rows[3]]
    vehicles = DetectionQuery(kinds=frozenset({"vehicle"}))
    assert await store.detections.find(vehicles) == [rows[1]]
    assert await store.detections.find(DetectionQuery(limit=2)) == [rows[2], rows[4]]  # the newest two
    # limit counting detector runs: the last two runs of pole-1 with all their rows
    runs = DetectionQuery(camera_id="pole-1", limit=2, limit_runs=True)
    assert await store.detections.find(runs) == [rows[2], rows[4]]
    first = DetectionQuery(camera_id="pole-1", until=T0 + timedelta(seconds=1), limit=1, limit_runs=True)
    assert await store.detections.find(first) == rows[:2]
    await store.close()


async def test_retention_deletes_only_what_is_older(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    await store.detections.add([record("pole-1", i, float(i)) for i in range(25)])
    deleted = await store.detections.delete_before(T0 + timedelta(seconds=20), batch=7)  # 3 transactions
    assert deleted == 20
    left = await store.detections.find(DetectionQuery())
    assert [r.frame_seq for r in left] == [20, 21, 22, 23, 24]
    await store.close()


async def test_recorder_stores_detections_from_the_bus_and_prunes_them(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    bus = InProcessBus()
    recorder = Recorder(
        bus,
        store,
        durable_writer(store, tmp_path),
        flush_interval_s=0.05,
        detection_retention=timedelta(days=7),
        prune_interval_s=0.2,
    )
    await recorder.start()
    now = (datetime.now(UTC) - T0).total_seconds()
    old = run("pole-1", 0, now - 8 * 86400.0, [("person", 17.25, 50.3)])  # 8 days old: beyond retention
    recent = run("pole-1", 5, now, [("person", 17.25, 50.3), ("vehicle", 17.2501, 50.3001)])
    nobody = run("pole-1", 10, now + 0.2, [])
    for msg in (old, recent, nobody):
        await bus.publish(topic_for(DetectionsMsg, "pole-1"), msg)
    await until(lambda: recorder.detections.written == 3, "three detections stored")
    await until(
        lambda: recorder.detections.pruned == 1, "the old one pruned by the recorder's retention pass"
    )
    stored = await store.detections.find(DetectionQuery(camera_id="pole-1"))
    assert [(r.frame_seq, r.kind, r.uncertainty_m) for r in stored] == [
        (5, "person", 1.5),
        (5, "vehicle", 2.5),
    ]
    assert recorder.detections_dropped == 0 and recorder.losses() is None
    await recorder.stop()
    await bus.close()
    await store.close()


async def test_under_a_locked_store_detections_wait_then_overflow_is_counted(tmp_path: Path) -> None:
    from ground_station.api.health_report import collect

    db = tmp_path / "db.sqlite3"
    store = await open_sqlite_store(db, busy_timeout_ms=50)
    bus = InProcessBus()
    recorder = Recorder(
        bus, store, durable_writer(store, tmp_path), flush_interval_s=0.05, max_pending_detections=10
    )
    await recorder.start()
    topic = topic_for(DetectionsMsg, "pole-1")
    with locked(db):
        for seq in range(6):  # 12 detections for a buffer of 10
            await bus.publish(
                topic, run("pole-1", seq, seq, [("person", 17.25, 50.3), ("vehicle", 17.26, 50.3)])
            )
        await until(lambda: recorder.detections.dropped == 2, "the overflow counted")
        await until(lambda: recorder.detections.last_error is not None, "the store error seen")
        assert recorder.detections.pending == 10 and recorder.detections.written == 0
        assert "locked" in (recorder.detections.last_error or "")
        # telemetry-class: dropped detections degrade nothing, unlike alerts or flight events
        assert recorder.losses() is None
    await until(lambda: recorder.detections.written == 10, "the kept detections stored once unlocked")
    assert recorder.detections.last_error is None
    stored = await store.detections.find(DetectionQuery())
    assert [r.frame_seq for r in stored][:2] == [1, 1]  # the oldest (run 0) fell off
    context = type("Context", (), {})()
    context.store, context.durable, context.recorder = store, recorder.durable, recorder
    context.links_health, context.bus = None, bus
    health = await collect(context)  # type: ignore[arg-type]
    counters = health.components["recorder"].counters
    assert counters["detections_dropped"] == 2 and counters["detections_written"] == 10
    await recorder.stop()
    await bus.close()
    await store.close()
