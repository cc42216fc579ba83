"""Sender gateway and receiver view in process, frames passed through the real wire schema: sessions
audited (not items), refusals audited, expiry and revocation stop the flow, retention at the receiver,
requests outside the agreement refused, forged incident notices refused. Clocks are injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ground_station.bus.messages import AlertMsg, AuditAction, BatteryMsg, LocalizedText, PositionMsg
from ground_station.sharing import wire
from ground_station.sharing.gateway import Gateway
from ground_station.sharing.model import Agreement, Area, Clause, DataClass, Incident
from ground_station.sharing.receiver import PartnerView, Receiver

CZ, PL = "hzs-olomouc", "gmina-nysa"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
AREA = Area.box(17.0, 50.2, 17.6, 50.5)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class FakeNode:
    """Numbers frames like the link does and hands them to the partner's receiver in order."""

    def __init__(self) -> None:
        self.links: dict[str, Any] = {PL: None}
        self.seq = 0
        self.out: list[Any] = []

    def send(self, partner: str, frame_text: Any) -> int:
        self.seq += 1
        self.out.append(wire.parse(frame_text(self.seq)))
        return self.seq


class Audit:
    def __init__(self) -> None:
        self.rows: list[tuple[AuditAction, str | None, dict[str, Any]]] = []

    async def __call__(self, action: AuditAction, target: str | None, detail: dict[str, Any]) -> None:
        self.rows.append((action, target, detail))

    def actions(self) -> list[AuditAction]:
        return [a for a, _t, _d in self.rows]


def agreement(**changes: Any) -> Agreement:
    base: dict[str, Any] = {
        "id": "a1",
        "partner": PL,
        "legal_basis": "GDPR art. 6(1)(e)",
        "valid_from": T0 - timedelta(days=1),
        "valid_until": T0 + timedelta(hours=1),
        "normal": Clause(data_classes=frozenset({DataClass.POSITIONS}), area=AREA, retention_s=60),
        "incident": Clause(
            data_classes=frozenset({DataClass.TELEMETRY, DataClass.ALERTS}), area=AREA, retention_s=30
        ),
    }
    return Agreement(**(base | changes))


def incident(**changes: Any) -> Incident:
    base: dict[str, Any] = {
        "id": "i1",
        "organisation": CZ,
        "declared_by": "velitel",
        "area": AREA,
        "starts_at": T0 - timedelta(minutes=5),
        "ends_at": T0 + timedelta(hours=1),
        "reason": "požár lesa",
    }
    return Incident(**(base | changes))


def position(vehicle: str, lon: float, lat: float, at: datetime = T0) -> PositionMsg:
    return PositionMsg(
        vehicle_id=vehicle,
        time_utc=at,
        vehicle_time_ms=0,
        lon=lon,
        lat=lat,
        alt_amsl_m=500,
        alt_rel_m=40,
        vn_mps=0,
        ve_mps=0,
        vd_mps=0,
    )


def battery(vehicle: str) -> BatteryMsg:
    return BatteryMsg(vehicle_id=vehicle, time_utc=T0, remaining_pct=80, voltage_v=15.1, current_a=3)


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.node = FakeNode()
        self.sender_audit, self.receiver_audit = Audit(), Audit()
        self.gateway = Gateway(CZ, self.node, self.sender_audit, self.clock)  # type: ignore[arg-type]
        self.view = PartnerView(self.clock, max_retention_s=3600)
        self.receiver = Receiver(self.view, self.receiver_audit)
        self.delivered = 0

    async def deliver(self) -> None:
        for frame in self.node.out[self.delivered :]:
            await self.receiver.on_frame(CZ, frame)
        self.delivered = len(self.node.out)

    async def setup(self, agreements: list[Agreement], incidents: list[Incident] = ()) -> None:  # type: ignore[assignment]
        await self.gateway.refresh(agreements, list(incidents))
        await self.deliver()

    def kinds(self) -> list[str]:
        return [i["kind"] + ":" + str(i.get("vehicle_id")) for i in self.view.snapshot()]


async def test_session_audit_not_per_item_and_only_in_area() -> None:
    world = World()
    await world.setup([agreement()])
    for _ in range(50):
        await world.gateway.handle(position("sim-1", 17.2, 50.3))
        await world.gateway.handle(position("sim-2", 16.5, 49.9))
        await world.gateway.handle(battery("sim-1"))
    await world.deliver()
    assert world.kinds() == ["position:sim-1"]
    sender = world.sender_audit.actions()
    assert sender.count(AuditAction.SHARE_STARTED) == 1
    refused = [d for a, _t, d in world.sender_audit.rows if a is AuditAction.SHARE_REFUSED]
    assert {(d["subject"], d["refusal"]) for d in refused} == {
        ("sim-2", "outside_area"),
        ("sim-1", "class_not_agreed"),
    }
    assert len(refused) == 2  # one per transition, not one per item
    assert world.receiver_audit.actions() == [AuditAction.SHARE_RECEIVED]
    await world.gateway.digests()
    await world.receiver.digests()
    [sent] = [d for a, _t, d in world.sender_audit.rows if a is AuditAction.SHARE_DIGEST]
    [got] = [d for a, _t, d in world.receiver_audit.rows if a is AuditAction.SHARE_DIGEST]
    assert sent["count"] == got["count"] == 50


async def test_incident_unlocks_and_its_closing_revokes_at_the_receiver() -> None:
    world = World()
    await world.setup([agreement()], [incident()])
    await world.gateway.handle(position("sim-1", 17.2, 50.3))
    await world.gateway.handle(battery("sim-1"))
    alert = AlertMsg(
        alert_id="x",
        vehicle_id="sim-1",
        kind="LOW_BATTERY",
        severity="WARNING",
        message="low",
        messages=LocalizedText(en="low", cs="nízká", pl="niski"),
        lon=17.2,
        lat=50.3,
        time_utc=T0,
    )
    await world.gateway.handle(alert)
    await world.deliver()
    assert sorted(world.kinds()) == ["alert:sim-1", "position:sim-1", "telemetry:sim-1"]
    await world.gateway.refresh([agreement()], [incident(closed_at=T0)])
    await world.deliver()
    assert world.kinds() == ["position:sim-1"]
    ended = [d for a, _t, d in world.sender_audit.rows if a is AuditAction.SHARE_ENDED]
    assert {d["data_class"] for d in ended} == {"telemetry", "alerts"}
    assert all(d["reason"] == "incident closed" for d in ended)
    await world.gateway.handle(battery("sim-1"))
    assert not isinstance(world.node.out[-1], wire.TelemetryFrame)


async def test_expired_agreement_stops_the_flow_and_revokes() -> None:
    world = World()
    await world.setup([agreement()])
    await world.gateway.handle(position("sim-1", 17.2, 50.3))
    world.clock.now = T0 + timedelta(hours=2)  # past valid_until
    sent = len(world.node.out)
    await world.gateway.handle(position("sim-1", 17.2, 50.3))
    assert len(world.node.out) == sent
    refused = [d for a, _t, d in world.sender_audit.rows if a is AuditAction.SHARE_REFUSED]
    assert refused[-1]["refusal"] == "agreement_not_in_force"
    await world.gateway.refresh([agreement()], [])
    await world.deliver()
    assert world.kinds() == []


async def test_receiver_enforces_its_own_retention() -> None:
    world = World()
    world.view.max_retention = timedelta(seconds=10)  # shorter than the stamped 60 s
    await world.setup([agreement()])
    await world.gateway.handle(position("sim-1", 17.2, 50.3))
    await world.deliver()
    world.clock.now = T0 + timedelta(seconds=9)
    assert world.kinds() == ["position:sim-1"]
    world.clock.now = T0 + timedelta(seconds=10)
    assert world.kinds() == []


async def test_request_outside_the_agreement_is_refused_and_audited() -> None:
    world = World()
    await world.setup([agreement()])
    request = wire.Request(
        seq=1, origin=PL, sent_at=T0, data_classes=frozenset({DataClass.POSITIONS, DataClass.RAW_VIDEO})
    )
    await world.gateway.answer_request(PL, request)
    [refusal] = [f for f in world.node.out if isinstance(f, wire.Refused)]
    assert refusal.data_class is DataClass.RAW_VIDEO and refusal.refusal == "class_not_agreed"
    wider = Area.box(16.0, 49.0, 19.0, 51.5)
    await world.gateway.answer_request(
        PL,
        wire.Request(seq=2, origin=PL, sent_at=T0, data_classes=frozenset({DataClass.POSITIONS}), area=wider),
    )
    assert world.node.out[-1].refusal == "outside_area"
    inside = Area.box(17.1, 50.3, 17.2, 50.4)
    sent = len(world.node.out)
    await world.gateway.answer_request(
        PL,
        wire.Request(
            seq=3, origin=PL, sent_at=T0, data_classes=frozenset({DataClass.POSITIONS}), area=inside
        ),
    )
    assert len(world.node.out) == sent  # inside the agreed area: nothing to refuse
    assert any(
        a is AuditAction.SHARE_REFUSED and d.get("requested") == "raw_video"
        for a, _t, d in world.sender_audit.rows
    )


async def test_receiver_refuses_data_no_agreement_digest_names() -> None:
    """A sender bug (or a compromised sender) stamping a class the agreement never gave is not kept."""
    world = World()
    await world.setup([agreement()])
    forged = wire.PositionFrame(
        seq=99,
        origin=CZ,
        sent_at=T0,
        data_class=DataClass.TELEMETRY,
        agreement_id="a1",
        situation="normal",
        retention_s=60,
        vehicle_id="sim-1",
        time_utc=T0,
        lon=17.2,
        lat=50.3,
        alt_amsl_m=500,
    )
    await world.receiver.on_frame(CZ, forged)
    await world.receiver.on_frame(
        CZ, forged.model_copy(update={"data_class": DataClass.POSITIONS, "agreement_id": "zz"})
    )
    assert world.kinds() == []
    reasons = [d["reason"] for a, _t, d in world.receiver_audit.rows if a is AuditAction.SHARE_REFUSED]
    assert reasons == ["not_in_agreement_digest", "not_in_agreement_digest"]


async def test_forged_partner_incident_notice_is_refused() -> None:
    world = World()
    notice = wire.IncidentNotice(
        seq=1, origin=CZ, sent_at=T0, incident=incident(organisation="gmina-glucholazy")
    )
    await world.receiver.on_frame(CZ, notice)
    assert world.view.incidents == {}
    assert world.receiver_audit.rows[-1][2]["reason"] == "forged_incident"


async def test_a_restarted_partner_gets_digest_incidents_and_head_again() -> None:
    world = World()
    await world.setup([agreement()], [incident()])
    world.view = PartnerView(world.clock, 3600)  # the partner restarted: it knows nothing
    world.receiver = Receiver(world.view, world.receiver_audit)
    await world.gateway.partner_up(PL, (7, "ab" * 32))
    await world.deliver()
    assert set(world.view.digests[CZ]) == {"a1"}
    assert set(world.view.incidents) == {"i1"}
    assert world.view.chain_heads[CZ].row_id == 7
    await world.gateway.handle(battery("sim-1"))  # no position known yet: never permission
    await world.gateway.handle(position("sim-1", 17.2, 50.3))
    await world.gateway.handle(battery("sim-1"))
    await world.deliver()
    assert sorted(world.kinds()) == ["position:sim-1", "telemetry:sim-1"]
