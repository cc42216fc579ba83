"""The REST API over a real store, bus and region (no vehicle links: commands answer 409)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ground_station.bus.catalogue import topic_for
from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    AlertSeverity,
    LocalizedText,
    PositionMsg,
    StatusMsg,
    VehicleState,
)
from ground_station.store.models import AuditAction, Flight, FlightEvent, TrackPoint
from tests.ground_station.test_api_support import (
    HELIPORT,
    Station,
    require_dem,
    running_station,
    simple_mission,
)

pytestmark = pytest.mark.timeout(120)

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("station")) as running:
        yield running


def publish(station: Station, topic: str, msg: object) -> None:
    station.client.portal.call(station.context.bus.publish, topic, msg)


def publish_position(
    station: Station,
    vehicle_id: str,
    *,
    lon: float,
    lat: float,
    alt_amsl_m: float,
    alt_rel_m: float,
    vehicle_time_ms: int,
    time_utc: datetime | None = None,
    vn_mps: float = 0.0,
    ve_mps: float = 0.0,
) -> None:
    """A vehicle position on the bus, as the link layer would publish it (level flight unless told)."""
    position = PositionMsg(
        vehicle_id=vehicle_id,
        time_utc=time_utc or datetime.now(UTC),
        vehicle_time_ms=vehicle_time_ms,
        lon=lon,
        lat=lat,
        alt_amsl_m=alt_amsl_m,
        alt_rel_m=alt_rel_m,
        vn_mps=vn_mps,
        ve_mps=ve_mps,
        vd_mps=0.0,
    )
    publish(station, topic_for(PositionMsg, vehicle_id), position)


def wait_until(station: Station, predicate, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        station.client.portal.call(_sleep, 0.02)
    raise AssertionError("condition not reached in time")


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def test_health_is_public_and_says_nothing_sensitive(station: Station) -> None:
    response = station.client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "region_loaded": True, "failing": []}


def test_login_failures_and_refresh_rotation(station: Station) -> None:
    bad = station.client.post("/api/auth/token", data={"username": "pilot", "password": "wrong-password"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    tokens = station.login("pilot")
    rotated = station.client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    replay = station.client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    missing = station.client.post("/api/auth/refresh", json={})
    assert missing.status_code == 422 and "refresh_token" in missing.json()["message"]
    # the reuse ended that login: its access token stops working at once, not at expiry
    assert station.client.get("/api/auth/me", headers=station.headers("pilot")).status_code == 401
    station.login("pilot")
    me = station.client.get("/api/auth/me", headers=station.headers("pilot")).json()
    assert (
        me["role"] == "pilot" and me["organisation"] == "hzs-olk" and "command_vehicles" in me["permissions"]
    )
    failed = station.client.portal.call(station.context.store.audit.find, AuditAction.LOGIN_FAILED)
    assert any(entry.actor == "pilot" for entry in failed)


def test_vehicles_list_state_from_bus_and_unknown_404(station: Station) -> None:
    listed = station.client.get("/api/vehicles", headers=station.headers("viewer")).json()
    assert {v["vehicle_id"]: v["state"] for v in listed} == {"sim-1": "DISCONNECTED", "pl-1": "DISCONNECTED"}
    publish(
        station,
        topic_for(StatusMsg, "sim-1"),
        StatusMsg(
            vehicle_id="sim-1",
            time_utc=NOW,
            state=VehicleState.IN_AIR,
            armed=True,
            in_air=True,
            flight_mode="MISSION",
            system_status="ACTIVE",
            autopilot="PX4",
            firmware_version="1.16.0",
            system_id=1,
        ),
    )
    publish_position(
        station,
        "sim-1",
        lon=17.1,
        lat=50.33,
        alt_amsl_m=700.0,
        alt_rel_m=60.0,
        time_utc=NOW,
        vehicle_time_ms=1000,
        vn_mps=3.0,
        ve_mps=4.0,
    )

    def in_air() -> bool:
        body = station.client.get("/api/vehicles/sim-1", headers=station.headers("pilot")).json()
        return body["state"] == "IN_AIR"

    wait_until(station, in_air)
    body = station.client.get("/api/vehicles/sim-1", headers=station.headers("pilot")).json()
    assert body["position"]["ground_speed_mps"] == pytest.approx(5.0)
    assert body["organisation"] == "hzs-olk" and body["firmware_version"] == "1.16.0"
    unknown = station.client.get("/api/vehicles/nope-9", headers=station.headers("pilot"))
    assert unknown.status_code == 404 and "nope-9" in unknown.json()["detail"]
    bad_slug = station.client.get("/api/vehicles/bad.slug", headers=station.headers("pilot"))
    assert bad_slug.status_code == 422 and "slug" in bad_slug.json()["message"]


def test_commands_are_org_scoped_validated_and_audited(station: Station) -> None:
    client = station.client
    no_link = client.post("/api/vehicles/sim-1/arm", headers=station.headers("pilot"))
    assert no_link.status_code == 409 and "no active link" in no_link.json()["detail"]
    foreign = client.post("/api/vehicles/sim-1/arm", headers=station.headers("foreign_pilot"))
    assert foreign.status_code == 403 and "kmp-nysa" in foreign.json()["detail"]
    own = client.post("/api/vehicles/pl-1/rtl", headers=station.headers("foreign_pilot"))
    assert own.status_code == 409  # allowed by role and organisation; refused only for lack of a link
    viewer = client.post("/api/vehicles/sim-1/land", headers=station.headers("viewer"))
    assert viewer.status_code == 403
    unknown = client.post("/api/vehicles/ghost/rtl", headers=station.headers("admin"))
    assert unknown.status_code == 404
    bad = client.post("/api/vehicles/sim-1/goto", headers=station.headers("pilot"), json={"lon": 17.0})
    assert bad.status_code == 422
    assert "body: lat: Field required" in bad.json()["message"]
    assert "body: alt_amsl_m" in bad.json()["message"]
    out_of_range = client.post(
        "/api/vehicles/sim-1/takeoff", headers=station.headers("pilot"), json={"alt_rel_m": -5}
    )
    assert out_of_range.status_code == 422 and "alt_rel_m" in out_of_range.json()["message"]
    audit = client.portal.call(station.context.store.audit.find, AuditAction.VEHICLE_COMMAND)
    assert any(e.actor == "pilot" and e.target == "sim-1" and e.detail["command"] == "arm" for e in audit)


def test_mission_crud_versions_and_organisation_privacy(station: Station) -> None:
    client, pilot = station.client, station.headers("pilot")
    created = client.post("/api/missions", headers=pilot, json=simple_mission("v1"))
    assert created.status_code == 201, created.text
    mission_id = created.json()["mission_id"]
    assert created.json()["version"] == 1
    updated = client.put(
        f"/api/missions/{mission_id}", headers=pilot, json=simple_mission("v2", alt_rel_m=50)
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    latest = client.get(f"/api/missions/{mission_id}", headers=pilot).json()
    assert latest["version"] == 2 and latest["mission"]["name"] == "v2"
    first = client.get(f"/api/missions/{mission_id}/versions/1", headers=pilot).json()
    assert first["mission"]["items"][0]["alt_m"] == 60.0
    assert [
        v["version"] for v in client.get(f"/api/missions/{mission_id}/versions", headers=pilot).json()
    ] == [1, 2]
    assert mission_id in [
        m["id"] for m in client.get("/api/missions", headers=station.headers("commander")).json()
    ]
    assert mission_id not in [
        m["id"] for m in client.get("/api/missions", headers=station.headers("foreign_pilot")).json()
    ]
    hidden = client.get(f"/api/missions/{mission_id}", headers=station.headers("foreign_pilot"))
    assert hidden.status_code == 404
    broken = simple_mission()
    broken["items"][1]["lon"] = 999
    bad = client.post("/api/missions", headers=pilot, json=broken)
    assert bad.status_code == 422
    assert "body: items.1.waypoint.lon" in bad.json()["message"]
    no_home = simple_mission()
    del no_home["home"]
    assert (
        "body: home: Field required"
        in client.post("/api/missions", headers=pilot, json=no_home).json()["message"]
    )
    assert client.delete(f"/api/missions/{mission_id}", headers=pilot).status_code == 204
    assert client.get(f"/api/missions/{mission_id}", headers=pilot).status_code == 404


def test_validate_records_result(station: Station) -> None:
    require_dem()
    client, pilot = station.client, station.headers("pilot")
    mission_id = client.post("/api/missions", headers=pilot, json=simple_mission()).json()["mission_id"]
    report = client.post(f"/api/missions/{mission_id}/validate", headers=pilot)
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True and report.json()["region"] == "jesenik-nysa"
    stored = client.get(f"/api/missions/{mission_id}/validations", headers=pilot).json()
    assert len(stored) == 1 and stored[0]["ok"] is True


def test_upload_refuses_invalid_mission_and_override_is_audited(station: Station) -> None:
    require_dem()
    client = station.client
    mission_id = client.post(
        "/api/missions", headers=station.headers("pilot"), json=simple_mission("heliport", spot=HELIPORT)
    ).json()["mission_id"]
    refused = client.post(
        "/api/vehicles/sim-1/mission", headers=station.headers("pilot"), json={"mission_id": mission_id}
    )
    assert refused.status_code == 409, refused.text
    violations = refused.json()["detail"]["violations"]
    assert any(v["zone_id"] == "BWX-CZ-HEMS-JESENIK" and v["severity"] == "ERROR" for v in violations)
    pilot_override = client.post(
        "/api/vehicles/sim-1/mission",
        headers=station.headers("pilot"),
        json={"mission_id": mission_id, "override_reason": "medical emergency at the hospital"},
    )
    assert pilot_override.status_code == 403 and "override" in pilot_override.json()["detail"]
    commander_override = client.post(
        "/api/vehicles/sim-1/mission",
        headers=station.headers("commander"),
        json={"mission_id": mission_id, "override_reason": "medical emergency at the hospital"},
    )
    # validation was overridden and audited; the upload itself fails here only because there is no link
    assert commander_override.status_code == 409 and "no active link" in commander_override.json()["detail"]
    overrides = client.portal.call(station.context.store.audit.find, AuditAction.VALIDATION_OVERRIDE)
    assert overrides[0].actor == "commander" and overrides[0].detail["mission_id"] == mission_id
    assert overrides[0].detail["reason"] == "medical emergency at the hospital"
    short_reason = client.post(
        "/api/vehicles/sim-1/mission",
        headers=station.headers("commander"),
        json={"mission_id": mission_id, "override_reason": "x"},
    )
    assert short_reason.status_code == 422 and "override_reason" in short_reason.json()["message"]


def test_override_cannot_upload_an_unresolved_altitude(station: Station) -> None:
    """Issue 11.3: a height above terrain over terrain that is not precise (the shared SRTM30_PLUS DEM is
    ±130 m) has no known AMSL altitude; even the commander's audited override cannot upload it."""
    require_dem()
    client = station.client
    body = simple_mission("above terrain")
    body["items"][1] = {**body["items"][1], "alt_m": 60.0, "alt_frame": "AGL"}
    created = client.post("/api/missions", headers=station.headers("pilot"), json=body)
    mission_id = created.json()["mission_id"]
    refused = client.post(
        "/api/vehicles/sim-1/mission",
        headers=station.headers("commander"),
        json={"mission_id": mission_id, "override_reason": "medical emergency at the hospital"},
    )
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "cannot be resolved" in detail["message"] and "item 1" in detail["problems"][0]


def test_upload_revalidates_from_the_vehicles_home(station: Station) -> None:
    """Issue 11.5: relative altitudes are flown from the vehicle's HOME_POSITION; when it differs from the
    plan's home the mission is validated again from there, and the record says so."""
    require_dem()
    client = station.client
    body = simple_mission("re-homed")
    mission_id = client.post("/api/missions", headers=station.headers("pilot"), json=body).json()[
        "mission_id"
    ]
    home = body["home"]
    status_msg = StatusMsg(
        vehicle_id="sim-1",
        time_utc=NOW,
        state=VehicleState.CONNECTED,
        armed=False,
        in_air=False,
        flight_mode="HOLD",
        system_status="STANDBY",
        autopilot="PX4",
        firmware_version="1.16.0",
        system_id=1,
        home_lon=home["lon"] + 0.003,
        home_lat=home["lat"],
        home_alt_amsl_m=(home["alt_amsl_m"] or 0.0) + 40.0,
    )
    publish(station, topic_for(StatusMsg, "sim-1"), status_msg)
    wait_until(station, lambda: station.context.vehicle_states.get("sim-1").status is not None)
    client.post(
        "/api/vehicles/sim-1/mission", headers=station.headers("commander"), json={"mission_id": mission_id}
    )
    records = client.get(f"/api/missions/{mission_id}/validations", headers=station.headers("pilot")).json()
    assert any("checked again from the vehicle's home" in v["message"] for v in records[-1]["violations"])


def test_flights_track_geojson_events_and_tlog(station: Station) -> None:
    store = station.context.store
    tlog_dir = station.context.settings.tlog_dir
    tlog_dir.mkdir(parents=True, exist_ok=True)
    tlog = tlog_dir / "f-api.tlog"
    tlog.write_bytes(b"\x00" * 8 + b"\xfd\x09")
    t0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
    portal = station.client.portal
    portal.call(store.flights.start, Flight("f-api", "sim-1", t0, None, str(tlog)))
    portal.call(
        store.flights.add_track,
        [
            TrackPoint("sim-1", "f-api", t0 + timedelta(seconds=i), 17.1 + i * 1e-4, 50.33, 700.0, 60.0)
            for i in range(5)
        ],
    )
    portal.call(store.flights.add_event, FlightEvent("sim-1", "f-api", "TOOK_OFF", t0))
    portal.call(store.flights.start, Flight("f-foreign", "pl-1", t0, None, "/etc/passwd"))

    pilot = station.headers("pilot")
    flights = station.client.get("/api/flights", headers=pilot).json()
    assert "f-api" in [f["id"] for f in flights] and "f-foreign" not in [f["id"] for f in flights]
    track = station.client.get("/api/flights/f-api/track", headers=pilot).json()
    feature = track["features"][0]
    assert feature["geometry"]["type"] == "LineString" and len(feature["geometry"]["coordinates"]) == 5
    assert feature["geometry"]["coordinates"][0] == [17.1, 50.33, 700.0]
    assert feature["properties"]["altitude_reference"] == "AMSL"
    events = station.client.get("/api/flights/f-api/events", headers=pilot).json()
    assert events[0]["kind"] == "TOOK_OFF"
    download = station.client.get("/api/flights/f-api/tlog", headers=pilot)
    assert download.status_code == 200 and download.content == tlog.read_bytes()
    assert station.client.get("/api/flights/f-api/tlog", headers=station.headers("viewer")).status_code == 403
    escape = station.client.get("/api/flights/f-foreign/tlog", headers=station.headers("admin"))
    assert escape.status_code == 404 and "outside" in escape.json()["detail"]
    assert station.client.get("/api/flights/nope/track", headers=pilot).status_code == 404


def test_alerts_from_bus_are_stored_and_acknowledged(station: Station) -> None:
    alert = AlertMsg(
        alert_id="sim-1:ZONE_ENTRY:BWX-CZ-HEMS-JESENIK",
        vehicle_id="sim-1",
        kind=AlertKind.ZONE_ENTRY,
        severity=AlertSeverity.CRITICAL,
        message="entering prohibited zone",
        messages=LocalizedText(
            en="entering prohibited zone", cs="vstup do zakázané zóny", pl="wejście do strefy"
        ),
        time_utc=NOW,
        lon=17.19,
        lat=50.23,
        predicted=True,
        zone_id="BWX-CZ-HEMS-JESENIK",
    )
    publish(station, "alert", alert)

    def stored() -> bool:
        listed = station.client.get(
            "/api/alerts?unacknowledged=true", headers=station.headers("viewer")
        ).json()
        return any(a["alert_id"] == alert.alert_id for a in listed)

    wait_until(station, stored)
    url = f"/api/alerts/{alert.alert_id}/acknowledge"
    assert station.client.post(url, headers=station.headers("viewer")).status_code == 403
    foreign = station.client.post(url, headers=station.headers("foreign_pilot"))
    assert foreign.status_code == 403 and "hzs-olk" in foreign.json()["detail"]
    acked = station.client.post(url, headers=station.headers("pilot"))
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "pilot"
    assert acked.json()["messages"]["cs"] == "vstup do zakázané zóny"
    assert (
        station.client.post("/api/alerts/nope/acknowledge", headers=station.headers("pilot")).status_code
        == 404
    )


def test_zones_and_terrain_queries(station: Station) -> None:
    viewer = station.headers("viewer")
    zones = station.client.get("/api/zones?bbox=17.15,50.2,17.25,50.26", headers=viewer).json()
    ids = {f["properties"]["identifier"] for f in zones["features"]}
    assert "BWX-CZ-HEMS-JESENIK" in ids and "BWX-PL-TOWN-NYSA" not in ids
    assert zones["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    at = station.client.get(
        "/api/zones/at",
        params={"lon": HELIPORT[0], "lat": HELIPORT[1], "alt": 50, "ref": "AGL"},
        headers=viewer,
    ).json()
    assert "BWX-CZ-HEMS-JESENIK" in {f["properties"]["identifier"] for f in at["features"]}
    above = station.client.get(
        "/api/zones/at",
        params={"lon": HELIPORT[0], "lat": HELIPORT[1], "alt": 400, "ref": "AGL"},
        headers=viewer,
    ).json()
    assert "BWX-CZ-HEMS-JESENIK" not in {f["properties"]["identifier"] for f in above["features"]}
    for bad in ("1,2,3", "a,b,c,d", "17.3,50,17.2,50.1", "0,0,10,10"):
        response = station.client.get(f"/api/zones?bbox={bad}", headers=viewer)
        assert response.status_code == 422 and "bbox" in response.json()["detail"]
    bad_ref = station.client.get("/api/zones/at?lon=17&lat=50&alt=1&ref=XYZ", headers=viewer)
    assert bad_ref.status_code == 422 and "query: ref" in bad_ref.json()["message"]
    elevation = station.client.get("/api/terrain/elevation?lon=17.1&lat=50.33", headers=viewer).json()
    assert elevation["quality"] in ("precise", "approximate", "unknown", "PRECISE", "APPROXIMATE", "UNKNOWN")
    if elevation["elevation_amsl_m"] is not None:
        assert 200 < elevation["elevation_amsl_m"] < 1500
    missing = station.client.get("/api/terrain/elevation?lon=17.1", headers=viewer)
    assert missing.status_code == 422 and "query: lat" in missing.json()["message"]


def test_websocket_streams_coalesced_frames(station: Station) -> None:
    token = station.tokens["viewer"]
    with station.client.websocket_connect(f"/ws/telemetry?token={token}") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["role"] == "partner_viewer"
        ws.send_json({"type": "subscribe", "vehicles": ["sim-1"], "topics": ["position"]})
        while ws.receive_json()["type"] != "subscribed":
            pass
        for i in range(50):
            publish_position(
                station,
                "sim-1",
                lon=17.1 + i * 1e-5,
                lat=50.33,
                alt_amsl_m=700.0,
                alt_rel_m=60.0,
                vehicle_time_ms=2000 + i,
            )
        frames = []
        while True:
            frame = ws.receive_json()
            assert frame["type"] == "telemetry" and frame["vehicle_id"] == "sim-1"
            assert set(frame["data"]) == {"position"}
            frames.append(frame)
            if frame["data"]["position"]["vehicle_time_ms"] == 2049:
                break
        assert len(frames) < 50  # 50 messages in a burst arrive coalesced
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "subscribe", "topics": ["nonsense"]})
        error = ws.receive_json()
        assert error["type"] == "error" and "topics" in str(error["message"])


def test_websocket_first_message_auth_and_refusals(station: Station) -> None:
    from starlette.websockets import WebSocketDisconnect

    with station.client.websocket_connect("/ws/telemetry") as ws:
        ws.send_json({"type": "auth", "token": station.tokens["pilot"]})
        assert ws.receive_json()["type"] == "hello"
    with pytest.raises(WebSocketDisconnect) as refused:
        with station.client.websocket_connect("/ws/telemetry?token=garbage") as ws:
            ws.receive_json()
    assert refused.value.code == 4401
    with station.client.websocket_connect("/ws/telemetry") as ws:
        ws.send_json({"type": "auth", "token": "garbage"})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401


def test_locked_database_gives_503_and_keeps_data(tmp_path: Path) -> None:
    with running_station(tmp_path, with_region=False) as station:
        station.context.store.database  # noqa: B018  (SqliteStore)
        path = station.context.settings.sqlite_path
        created = station.client.post(
            "/api/missions", headers=station.headers("pilot"), json=_plain_mission()
        )
        assert created.status_code == 201
        blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            station.client.portal.call(_set_busy_timeout, station, 100)
            locked = station.client.post(
                "/api/missions", headers=station.headers("pilot"), json=_plain_mission()
            )
            assert locked.status_code == 503 and "locked" in locked.json()["detail"]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        listed = station.client.get("/api/missions", headers=station.headers("pilot")).json()
        assert [m["id"] for m in listed] == [created.json()["mission_id"]]


async def _set_busy_timeout(station: Station, ms: int) -> None:
    await station.context.store.database.execute_pragma(f"PRAGMA busy_timeout = {ms}")


def _plain_mission() -> dict[str, object]:
    return {
        "name": "plain",
        "home": {"lon": 17.1, "lat": 50.33},
        "items": [{"kind": "takeoff", "lon": 17.1, "lat": 50.33, "alt_m": 30.0}, {"kind": "rtl"}],
    }


def test_websocket_query_filter_applies_to_the_snapshot(station: Station) -> None:
    from starlette.websockets import WebSocketDisconnect

    token = station.tokens["pilot"]
    publish_position(station, "pl-1", lon=17.3, lat=50.4, alt_amsl_m=300.0, alt_rel_m=10.0, vehicle_time_ms=1)
    station.client.portal.call(_sleep, 0.2)
    with station.client.websocket_connect(f"/ws/telemetry?token={token}&vehicles=pl-1&topics=position") as ws:
        assert ws.receive_json()["type"] == "hello"
        snapshot = ws.receive_json()
        assert snapshot["vehicle_id"] == "pl-1" and set(snapshot["data"]) == {"position"}
    with pytest.raises(WebSocketDisconnect) as refused:
        with station.client.websocket_connect(f"/ws/telemetry?token={token}&topics=weather") as ws:
            ws.receive_json()
    assert refused.value.code == 4422


def test_malformed_and_oversized_bodies(station: Station) -> None:
    pilot = {**station.headers("pilot"), "Content-Type": "application/json"}
    broken = station.client.post("/api/missions", headers=pilot, content=b'{"name": "x", "items": [')
    assert broken.status_code == 422 and "body" in broken.json()["message"]
    not_object = station.client.post("/api/vehicles/sim-1/goto", headers=pilot, content=b"[1, 2, 3]")
    assert not_object.status_code == 422
    limit = station.context.settings.max_input_bytes
    station.context.settings.max_input_bytes = 10_000
    try:
        huge = station.client.post("/api/missions", headers=pilot, content=b" " * 20_000)
        assert huge.status_code == 413 and "10000 byte limit" in huge.json()["detail"]

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(30):
                yield b" " * 1000

        streamed = station.client.post("/api/missions", headers=pilot, content=chunks())
        assert streamed.status_code == 413
    finally:
        station.context.settings.max_input_bytes = limit
