"""The script of trace e (upload fence, rally and mission, read them back, arm and start at once; fly;
then an arm that never takes off), replayed with raw pymavlink against any vehicle target.

Like the recording client it is a 255/190 GCS with a 1 Hz heartbeat that answers every request with
MISSION_ITEM_INT and retries a refused start every 0.5 s. It returns a results dict shaped like the keys
the trace's ``*_facts.json`` adds (``uploads``, ``readback``, ``start_after_upload``,
``auto_disarm_probe``, ``mission_item_reached``), so each fact is compared one to one.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from pymavlink.dialects.v20 import common as mavlink

from tests.sim.conformance.conftest import RecordedLink
from tests.sim.conformance.raw_gcs import RawGcs, Received, is_ack, is_text, is_type, raw_gcs

NAN = math.nan
MAV_STATE_UNINIT, MAV_STATE_STANDBY = 0, 3
AUTO_MISSION = 0x04040000
START_RETRY_S = 0.5
FENCE, RALLY, MISSION = 1, 2, 0
Item = tuple[int, int, int, float, float, float, float, int, int, float]  # frame cmd autocont p1-4 x y z

# The items of trace e exactly as the recording client sent them (README e, read-back table "sent").
PENTAGON = [
    (502316949, 172050000),
    (502298328, 172090065),
    (502268197, 172074762),
    (502268197, 172025238),
    (502298328, 172009935),
]
ITEMS: dict[int, list[Item]] = {
    FENCE: [(0, 5001, 1, 5.0, 0.0, 0.0, 0.0, x, y, 0.0) for x, y in PENTAGON]
    + [(0, 5004, 1, 25.0, 0.0, 0.0, 0.0, 502278322, 172072468, 0.0)],
    RALLY: [
        (3, 5100, 1, 0.0, 0.0, 0.0, 0.0, 502303475, 172071063, 20.0),
        (3, 5100, 1, 0.0, 0.0, 0.0, 0.0, 502303475, 172028937, 20.0),
    ],
    MISSION: [(3, 22, 1, 0.0, 0.0, 0.0, NAN, 502290000, 172050000, 30.0)]
    + [
        (3, 16, 1, 0.0, 0.0, 0.0, NAN, x, y, 30.0)
        for x, y in (
            (502296737, 172039468),
            (502296737, 172060532),
            (502283263, 172060532),
            (502283263, 172039468),
        )
    ]
    + [(2, 178, 1, 1.0, 8.0, -1.0, 0.0, 0, 0, 0.0), (2, 20, 1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0)],
}
LIST_NAMES = {FENCE: "fence", RALLY: "rally", MISSION: "mission"}
FIELDS = (
    "frame",
    "command",
    "autocontinue",
    "current",
    "param1",
    "param2",
    "param3",
    "param4",
    "x",
    "y",
    "z",
)


def _index_after(gcs: RawGcs, got: Received, since: int) -> int:
    return next(i for i in range(since, len(gcs.received)) if gcs.received[i] is got) + 1


async def _upload(gcs: RawGcs, mission_type: int) -> dict[str, Any]:
    items = ITEMS[mission_type]
    since = gcs.mark()
    gcs.send(gcs.mav.mission_count_encode(1, 1, len(items), mission_type))
    t_count = time.time()
    requests: list[tuple[str, int]] = []
    checked = since
    while True:
        got = await gcs.wait_for(
            is_type("MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"), 3.0, checked
        )
        assert got is not None, f"upload of {LIST_NAMES[mission_type]} stalled"
        checked = _index_after(gcs, got, checked)
        if got.msg.get_type() == "MISSION_ACK":
            return {"requests": requests, "ack": got.msg.type, "t_count": t_count, "t_ack": got.t}
        requests.append((got.msg.get_type(), got.msg.seq))
        frame, command, autocontinue, p1, p2, p3, p4, x, y, z = items[got.msg.seq]
        current = 1 if (mission_type == MISSION and got.msg.seq == 0) else 0
        gcs.send(
            gcs.mav.mission_item_int_encode(
                1,
                1,
                got.msg.seq,
                frame,
                command,
                current,
                autocontinue,
                p1,
                p2,
                p3,
                p4,
                x,
                y,
                z,
                mission_type,
            )
        )


async def _read_back(gcs: RawGcs, mission_type: int) -> list[dict[str, Any]]:
    since = gcs.mark()
    gcs.send(gcs.mav.mission_request_list_encode(1, 1, mission_type))
    count = await gcs.wait_for(is_type("MISSION_COUNT"), 2.0, since)
    assert count is not None, f"no MISSION_COUNT for {LIST_NAMES[mission_type]}"
    items = []
    for seq in range(count.msg.count):
        since = gcs.mark()
        gcs.send(gcs.mav.mission_request_int_encode(1, 1, seq, mission_type))
        got = await gcs.wait_for(
            lambda m, s=seq: m.get_type() == "MISSION_ITEM_INT" and m.seq == s, 2.0, since
        )
        assert got is not None, f"no item {seq} of {LIST_NAMES[mission_type]}"
        items.append({"seq": seq, **{name: getattr(got.msg, name) for name in FIELDS}})
    gcs.send(gcs.mav.mission_ack_encode(1, 1, mavlink.MAV_MISSION_ACCEPTED, mission_type))
    return items


def _send_start(gcs: RawGcs, method: str) -> int:
    if method == "set_mode":
        gcs.command_long(mavlink.MAV_CMD_DO_SET_MODE, 129, 4, 4)
        return int(mavlink.MAV_CMD_DO_SET_MODE)
    gcs.command_long(mavlink.MAV_CMD_MISSION_START, 0, 0)
    return int(mavlink.MAV_CMD_MISSION_START)


async def _start_attempt(gcs: RawGcs, method: str, t_ref: float) -> dict[str, Any]:
    """One start command; its ACKs and texts are what arrives before the next try is due."""
    since = gcs.mark()
    sent = time.time()
    command = _send_start(gcs, method)
    await asyncio.sleep(max(0.0, sent + START_RETRY_S - time.time()))  # the client's retry pace
    acks = gcs.seen(is_ack(command), since)
    return {
        "t_from_ref_s": sent - t_ref,
        "t_sent": sent,
        "t_sent_vehicle": gcs.boot_s_at(sent),
        "acks": [int(r.msg.result) for r in acks],
        "acks_ms_after_send": [round((r.t - sent) * 1000, 1) for r in acks],
        "texts": [r.msg.text for r in gcs.seen(is_type("STATUSTEXT"), since)],
        "all_accepted": bool(acks) and all(r.msg.result == mavlink.MAV_RESULT_ACCEPTED for r in acks),
    }


async def _arm(gcs: RawGcs) -> tuple[float, Received | None]:
    since = gcs.mark()
    sent = gcs.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    return sent, await gcs.wait_for(is_ack(mavlink.MAV_CMD_COMPONENT_ARM_DISARM), 2.0, since)


async def _start_after_upload(gcs: RawGcs, method: str, mission_ack_t: float) -> dict[str, Any]:
    t_arm, ack = await _arm(gcs)
    assert ack is not None and ack.msg.result == mavlink.MAV_RESULT_ACCEPTED, "ARM refused"
    attempts = []
    for _ in range(12):
        attempt = await _start_attempt(gcs, method, t_arm)
        attempt["t_from_mission_ack_s"] = attempt["t_sent"] - mission_ack_t
        attempts.append(attempt)
        if attempt["all_accepted"]:
            break
    executing = await gcs.wait_for(is_text("Executing Mission\t"), 2.0)
    return {
        "t_arm_sent": t_arm,
        "attempts": attempts,
        "executing_mission_from_mission_ack_s": None if executing is None else executing.t - mission_ack_t,
    }


async def _auto_disarm_probe(gcs: RawGcs, method: str) -> dict[str, Any]:
    """After the flight: clear the mission, arm (refused: AUTO.MISSION without a mission), Hold, arm, and
    try to start every 0.5 s until the vehicle disarms by itself."""
    probe: dict[str, Any] = {}
    since = gcs.mark()
    ack = None
    for _ in range(3):  # the protocol's own remedy for a lost frame: ask again (live PX4 once gave none)
        gcs.send(gcs.mav.mission_clear_all_encode(1, 1, MISSION))
        ack = await gcs.wait_for(is_type("MISSION_ACK"), 2.0, since)
        if ack is not None:
            break
    probe["clear_ack"] = None if ack is None else ack.msg.type
    uninit = await gcs.wait_for(
        lambda m: m.get_type() == "HEARTBEAT" and m.system_status == MAV_STATE_UNINIT, 3.0, since
    )
    probe["heartbeat_after_clear"] = (
        None if uninit is None else (uninit.msg.custom_mode, uninit.msg.system_status)
    )
    since = gcs.mark()
    _, refused = await _arm(gcs)
    # the refusal's reason follows as STATUSTEXT; a chunk shorter than 50 characters ends the text
    await gcs.wait_for(lambda m: m.get_type() == "STATUSTEXT" and len(m.text) < 50, 3.0, since)
    probe["arm_in_mission_without_mission"] = None if refused is None else int(refused.msg.result)
    probe["arm_in_mission_without_mission_texts"] = [
        r.msg.text for r in gcs.seen(is_type("STATUSTEXT"), since)
    ]
    if refused is not None and refused.msg.result == mavlink.MAV_RESULT_ACCEPTED:
        gcs.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0)  # it should not have armed; go on
    since = gcs.mark()
    gcs.command_long(mavlink.MAV_CMD_DO_SET_MODE, 1, 4, 3)
    standby = await gcs.wait_for(
        lambda m: m.get_type() == "HEARTBEAT" and m.system_status == MAV_STATE_STANDBY, 3.0, since
    )
    probe["standby_in_hold"] = standby is not None
    since = gcs.mark()
    t_arm, ack = await _arm(gcs)
    probe["arm"] = None if ack is None else int(ack.msg.result)
    attempts = []
    disarmed: list[Received] = []
    while not disarmed and len(attempts) < 60:
        attempts.append(await _start_attempt(gcs, method, t_arm))
        disarmed = gcs.seen(is_text("Disarmed by auto preflight disarming\t"), since)
    assert disarmed, "the vehicle never disarmed by itself"
    probe["attempts"] = attempts
    probe["disarm_after_arm_s"] = disarmed[0].t - t_arm
    assert ack is not None, "no ACK of the ARM"
    probe["disarm_after_arm_vehicle_s"] = gcs.boot_s_before(disarmed[0]) - gcs.boot_s_before(ack)
    return probe


async def _last_item_repeats(gcs: RawGcs) -> None:
    """Waits while the last reached item keeps being repeated (up to its 11th send), as the recording
    did; a repeat more than 1.6 s after the previous one would be no 1 Hz repeat any more."""
    last = gcs.seen(is_type("MISSION_ITEM_REACHED"))[-1]
    reached = lambda m: m.get_type() == "MISSION_ITEM_REACHED" and m.seq == last.msg.seq  # noqa: E731
    while len(gcs.seen(reached)) < 11:
        got = await gcs.wait_for(reached, 1.6, _index_after(gcs, last, 0))
        if got is None:
            return
        last = got


def _items_reached(gcs: RawGcs) -> list[dict[str, Any]]:
    per_seq: dict[int, list[Received]] = {}
    for r in gcs.seen(is_type("MISSION_ITEM_REACHED")):
        per_seq.setdefault(r.msg.seq, []).append(r)
    return [
        {
            "seq": seq,
            "times": [r.t for r in got],
            "vehicle_times": [gcs.boot_s_at(r.t) for r in got],
            "link_times": [gcs.link_s_of(r) for r in got],
        }
        for seq, got in per_seq.items()
    ]


async def run_upload_readback_start(link: RecordedLink, method: str, cruise_speed: float) -> dict[str, Any]:
    """Trace e with ``method`` "set_mode" (run 1) or "mission_start" (run 2, ``_b``)."""
    results: dict[str, Any] = {}
    async with raw_gcs(link.station_port, boot_to_link=link.boot_to_link()) as gcs:
        ready = await gcs.wait_for(
            lambda m: m.get_type() == "HEARTBEAT" and m.system_status == MAV_STATE_STANDBY, 40.0
        )
        assert ready is not None, "the vehicle never became ready (STANDBY)"
        fix = await gcs.wait_for(lambda m: m.get_type() == "GPS_RAW_INT" and m.fix_type >= 3, 20.0)
        home = await gcs.wait_for(is_type("HOME_POSITION"), 20.0)
        assert fix is not None and home is not None, "no GPS fix or home"
        results["uploads"] = {LIST_NAMES[t]: await _upload(gcs, t) for t in (FENCE, RALLY, MISSION)}
        results["readback"] = {LIST_NAMES[t]: await _read_back(gcs, t) for t in (FENCE, RALLY, MISSION)}
        mission_ack_t = results["uploads"]["mission"]["t_ack"]
        results["start_after_upload"] = await _start_after_upload(gcs, method, mission_ack_t)
        in_mission = await gcs.wait_for(
            lambda m: m.get_type() == "HEARTBEAT" and m.custom_mode == AUTO_MISSION, 5.0
        )
        assert in_mission is not None, "the HEARTBEAT never showed AUTO.MISSION"
        link.set_speed(cruise_speed)
        landed = await gcs.wait_for(is_text("Disarmed by landing\t"), 20 + link.vehicle_s(300))
        assert landed is not None, "the flight did not end with 'Disarmed by landing'"
        link.set_speed(1.0)
        await _last_item_repeats(gcs)
        results["auto_disarm_probe"] = await _auto_disarm_probe(gcs, method)
        results["mission_item_reached"] = _items_reached(gcs)
    return results
