"""Drafts as the planner sends them while a mission is being drawn: none, one or two items, items on the
same spot, commands that fly nowhere (camera, speed) alone or at the end. The validator must answer every
one of them with a verdict, never an exception, and a draft it cannot check (no leg flown, no take-off,
no end) is never LEGAL (design contract 18: missing data is not permission).

Found this way: a draft whose only items fly nowhere (e.g. one camera command) makes a path of one
vertex (home) and one sample, and ``RuleContext.sample_item`` indexed the vertex after it (IndexError).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.terrain import FlatTerrain
from missions.model import (
    AltFrame,
    CameraStop,
    CameraTriggerDistance,
    ChangeSpeed,
    HomePosition,
    Land,
    Loiter,
    Mission,
    MissionItem,
    Orbit,
    OtherCommand,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
)
from missions.validate import validate

from .conftest import region_with

HOME = HomePosition(lon=17.10, lat=50.20, alt_amsl_m=300.0)
REGION = region_with(FlatTerrain(300.0))
SPOTS = [(HOME.lon, HOME.lat), (17.101, 50.2005), (17.1002, 50.1998)]
"""Few positions, so that items on the same spot (home included) are common."""

spots = st.sampled_from(SPOTS)
alts = st.sampled_from([0.0, 30.0, 50.0])
frames = st.sampled_from(list(AltFrame))


@st.composite
def draft_item(draw: st.DrawFn) -> MissionItem:
    kind = draw(
        st.sampled_from(
            ["takeoff", "waypoint", "loiter", "orbit", "land", "rtl", "camera", "trigger", "speed", "delay"]
        )
    )
    lon, lat = draw(spots)
    alt, frame = draw(alts), draw(frames)
    if kind == "takeoff":
        return Takeoff(lon=lon, lat=lat, alt_m=alt, alt_frame=frame)
    if kind == "waypoint":
        return Waypoint(lon=lon, lat=lat, alt_m=alt, alt_frame=frame)
    if kind == "loiter":
        return Loiter(
            lon=lon,
            lat=lat,
            alt_m=alt,
            alt_frame=frame,
            radius_m=draw(st.sampled_from([0.0, 20.0])),
            duration_s=5.0,
        )
    if kind == "orbit":
        return Orbit(lon=lon, lat=lat, alt_m=alt, alt_frame=frame, radius_m=25.0, turns=1.0)
    if kind == "land":
        return Land(lon=lon, lat=lat)
    if kind == "rtl":
        return ReturnToLaunch()
    if kind == "camera":
        return CameraStop()
    if kind == "trigger":
        return CameraTriggerDistance(distance_m=10.0)
    if kind == "speed":
        return ChangeSpeed(speed_m_s=5.0)
    return OtherCommand(command=93, frame=2, params=(2.0, None, None, None, None, None, None))  # NAV_DELAY


drafts = st.lists(draft_item(), min_size=0, max_size=3).map(
    lambda items: Mission(name="draft", items=tuple(items), home=HOME)
)


@settings(max_examples=300, deadline=None)
@given(draft=drafts)
def test_every_small_draft_gets_a_verdict_and_unflyable_ones_are_not_legal(draft: Mission) -> None:
    report = validate(draft, REGION)  # never raises
    flies = any(isinstance(i, Takeoff) for i in draft.items[:1]) and isinstance(
        draft.items[-1], ReturnToLaunch | Land
    )
    if not flies:
        assert not report.ok, [v.message for v in report.violations]
    if report.ok:
        assert report.checked is not None and report.checked.legs, "LEGAL without a checked leg"
    for v in report.violations:  # every place named exists in the draft
        assert v.item_index is None or 0 <= v.item_index < len(draft.items)


def test_a_draft_of_commands_that_fly_nowhere_is_not_legal_and_says_why() -> None:
    for items in [(CameraStop(),), (ChangeSpeed(speed_m_s=3.0),), (CameraTriggerDistance(distance_m=5.0),)]:
        report = validate(Mission(items=items, home=HOME), REGION)
        assert not report.ok
        messages = [v.message for v in report.violations if v.severity == "ERROR"]
        assert any("take-off" in m for m in messages), messages
        assert all(v.item_index is None and v.leg_index is None for v in report.violations), report.violations
