"""Share decisions: property tests of the invariants, and the cases the issue names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ground_station.sharing.model import (
    Agreement,
    Area,
    Clause,
    DataClass,
    Incident,
    Situation,
)
from ground_station.sharing.policy import Item, Refusal, decide, plan, video_variant

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NEAR_BORDER = Area.box(17.0, 50.2, 17.6, 50.5, "near border")
WHOLE = Area.box(16.0, 49.0, 19.0, 51.5, "whole region")
CZ, PL = "hzs-olomouc", "gmina-nysa"


def agreement(
    *,
    normal: set[DataClass] | None = None,
    incident: set[DataClass] | None = None,
    area: Area = NEAR_BORDER,
    partner: str = PL,
    partner_incidents_from: frozenset[str] = frozenset(),
    valid_until: datetime = T0 + timedelta(days=365),
    agreement_id: str = "a1",
) -> Agreement:
    return Agreement(
        id=agreement_id,
        partner=partner,
        legal_basis="GDPR art. 6(1)(e); CZ-PL treaty",
        valid_from=T0 - timedelta(days=1),
        valid_until=valid_until,
        normal=Clause(data_classes=frozenset(normal), area=area, retention_s=3600) if normal else None,
        incident=Clause(data_classes=frozenset(incident), area=area, retention_s=600) if incident else None,
        partner_incidents_from=partner_incidents_from,
    )


def incident(organisation: str = CZ, area: Area = WHOLE, closed: bool = False, iid: str = "i1") -> Incident:
    return Incident(
        id=iid,
        organisation=organisation,
        declared_by="velitel",
        area=area,
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=5),
        reason="flood on the Bělá",
        closed_at=T0 - timedelta(minutes=1) if closed else None,
    )


def test_default_is_nothing() -> None:
    decision = decide(Item(DataClass.POSITIONS, 17.2, 50.3), PL, CZ, [], [], T0)
    assert not decision.allowed and decision.refusal is Refusal.NO_AGREEMENT


def test_positions_inside_area_only() -> None:
    agreements = [agreement(normal={DataClass.POSITIONS})]
    inside = decide(Item(DataClass.POSITIONS, 17.2, 50.3), PL, CZ, agreements, [], T0)
    outside = decide(Item(DataClass.POSITIONS, 17.9, 49.6), PL, CZ, agreements, [], T0)
    assert inside.allowed and inside.agreement_id == "a1" and inside.situation is Situation.NORMAL
    assert inside.legal_basis and inside.retention_s == 3600
    assert not outside.allowed and outside.refusal is Refusal.OUTSIDE_AREA


def test_expired_agreement_refused() -> None:
    agreements = [agreement(normal={DataClass.POSITIONS}, valid_until=T0 - timedelta(seconds=1))]
    decision = decide(Item(DataClass.POSITIONS, 17.2, 50.3), PL, CZ, agreements, [], T0)
    assert decision.refusal is Refusal.AGREEMENT_NOT_IN_FORCE


def test_unknown_position_is_not_permission() -> None:
    decision = decide(
        Item(DataClass.TELEMETRY, None, None), PL, CZ, [agreement(normal={DataClass.TELEMETRY})], [], T0
    )
    assert decision.refusal is Refusal.NO_POSITION


def test_raw_video_not_allowed_in_normal_clause() -> None:
    with pytest.raises(ValueError, match="raw video"):
        agreement(normal={DataClass.RAW_VIDEO})


def test_incident_unlocks_and_closing_revokes() -> None:
    agreements = [
        agreement(normal={DataClass.POSITIONS}, incident={DataClass.TELEMETRY, DataClass.RAW_VIDEO})
    ]
    item = Item(DataClass.TELEMETRY, 17.2, 50.3)
    assert not decide(item, PL, CZ, agreements, [], T0).allowed
    unlocked = decide(item, PL, CZ, agreements, [incident()], T0)
    assert unlocked.allowed and unlocked.situation is Situation.INCIDENT and unlocked.incident_id == "i1"
    assert not decide(item, PL, CZ, agreements, [incident(closed=True)], T0).allowed


def test_partner_incident_unlocks_only_where_named() -> None:
    item = Item(DataClass.TELEMETRY, 17.2, 50.3)
    theirs = incident(organisation=PL)
    assert not decide(item, PL, CZ, [agreement(incident={DataClass.TELEMETRY})], [theirs], T0).allowed
    named = [agreement(incident={DataClass.TELEMETRY}, partner_incidents_from=frozenset({PL}))]
    assert decide(item, PL, CZ, named, [theirs], T0).allowed


def test_incident_area_limits_the_unlock() -> None:
    small = incident(area=Area.box(17.0, 50.2, 17.1, 50.25))
    agreements = [agreement(incident={DataClass.TELEMETRY})]
    assert decide(Item(DataClass.TELEMETRY, 17.05, 50.22), PL, CZ, agreements, [small], T0).allowed
    assert not decide(Item(DataClass.TELEMETRY, 17.4, 50.4), PL, CZ, agreements, [small], T0).allowed


def test_video_variant() -> None:
    agreements = [agreement(normal={DataClass.ANONYMISED_VIDEO}, incident={DataClass.RAW_VIDEO})]
    normal = video_variant(PL, CZ, 17.2, 50.3, agreements, [], T0)
    assert normal is not None and normal.data_class is DataClass.ANONYMISED_VIDEO
    during = video_variant(PL, CZ, 17.2, 50.3, agreements, [incident()], T0)
    assert during is not None and during.data_class is DataClass.RAW_VIDEO
    assert video_variant("gmina-glucholazy", CZ, 17.2, 50.3, agreements, [incident()], T0) is None


classes = st.sets(st.sampled_from(list(DataClass)))
lons = st.floats(16.5, 18.5)
lats = st.floats(49.8, 50.8)


@st.composite
def agreements_st(draw: st.DrawFn) -> list[Agreement]:
    out = []
    for index in range(draw(st.integers(0, 3))):
        normal = draw(classes) - {DataClass.RAW_VIDEO}
        out.append(
            agreement(
                normal=normal or None,
                incident=draw(classes) or None,
                partner=draw(st.sampled_from([PL, "gmina-glucholazy"])),
                area=draw(st.sampled_from([NEAR_BORDER, WHOLE])),
                valid_until=T0 + timedelta(seconds=draw(st.integers(-100, 100))),
                partner_incidents_from=draw(st.sampled_from([frozenset(), frozenset({PL})])),
                agreement_id=f"a{index}",
            )
        )
    return out


@st.composite
def incidents_st(draw: st.DrawFn) -> list[Incident]:
    return [
        incident(
            organisation=draw(st.sampled_from([CZ, PL, "mesto-jesenik"])),
            area=draw(st.sampled_from([NEAR_BORDER, WHOLE])),
            closed=draw(st.booleans()),
            iid=f"i{index}",
        )
        for index in range(draw(st.integers(0, 2)))
    ]


@settings(max_examples=300, deadline=None)
@given(agreements_st(), incidents_st(), st.sampled_from(list(DataClass)), lons, lats)
def test_nothing_leaves_without_an_agreement_allowing_it(
    agreements: list[Agreement], incidents: list[Incident], data_class: DataClass, lon: float, lat: float
) -> None:
    decision = decide(Item(data_class, lon, lat), PL, CZ, agreements, incidents, T0)
    if not decision.allowed:
        return
    used = next(a for a in agreements if a.id == decision.agreement_id)
    assert used.partner == PL and used.in_force(T0)
    clause = used.normal if decision.situation is Situation.NORMAL else used.incident
    assert clause is not None and data_class in clause.data_classes and clause.area.contains(lon, lat)
    assert decision.retention_s == clause.retention_s
    if decision.situation is Situation.INCIDENT:
        unlock = next(i for i in incidents if i.id == decision.incident_id)
        assert unlock.active(T0) and unlock.area.contains(lon, lat)
        assert unlock.organisation == CZ or unlock.organisation in used.partner_incidents_from


@settings(max_examples=300, deadline=None)
@given(agreements_st(), incidents_st(), lons, lats)
def test_raw_never_leaves_without_an_active_incident(
    agreements: list[Agreement], incidents: list[Incident], lon: float, lat: float
) -> None:
    decision = decide(Item(DataClass.RAW_VIDEO, lon, lat), PL, CZ, agreements, incidents, T0)
    if decision.allowed:
        assert decision.situation is Situation.INCIDENT
        assert any(i.id == decision.incident_id and i.active(T0) for i in incidents)
    closed = [i.model_copy(update={"closed_at": T0 - timedelta(seconds=1)}) for i in incidents]
    assert not decide(Item(DataClass.RAW_VIDEO, lon, lat), PL, CZ, agreements, closed, T0).allowed


@settings(max_examples=200, deadline=None)
@given(agreements_st(), incidents_st(), st.sampled_from(list(DataClass)), lons, lats)
def test_decisions_are_pure(
    agreements: list[Agreement], incidents: list[Incident], data_class: DataClass, lon: float, lat: float
) -> None:
    item = Item(data_class, lon, lat)
    assert decide(item, PL, CZ, agreements, incidents, T0) == decide(
        item, PL, CZ, list(reversed(agreements)), list(reversed(incidents)), T0
    )


@settings(max_examples=400, deadline=None)
@given(agreements_st(), incidents_st(), st.sampled_from(list(DataClass)), lons, lats, st.integers(-200, 200))
def test_the_gateways_plan_allows_exactly_what_decide_allows(
    agreements: list[Agreement],
    incidents: list[Incident],
    data_class: DataClass,
    lon: float,
    lat: float,
    shift_s: int,
) -> None:
    """The fast path (a plan per partner and class, reused until its next boundary) is decide()."""
    made = plan(PL, data_class, CZ, agreements, incidents, T0)
    now = T0 + timedelta(seconds=shift_s)
    if made.valid_until is not None and now >= made.valid_until:
        return  # the gateway makes a new plan at the boundary
    if now < T0:
        return  # plans are made at or before the time they are used
    expected = decide(Item(data_class, lon, lat), PL, CZ, agreements, incidents, now)
    assert made.allowed(lon, lat) == (expected if expected.allowed else None)
