"""The script of trace d (protocol edge cases, raw pymavlink), replayed against any vehicle target.

It produces a results dict with the keys of ``sidecar/px4_sih_protocol_edges_results.json`` (what the
reference recorder wrote for PX4) plus a few keys of its own, so each case is compared one to one.
Silence is waited for over 0.8 s instead of the recorder's 2-3 s (PX4 answers within 13 ms) to keep CI fast.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from pymavlink.dialects.v20 import common as mavlink

from tests.sim.conformance.conftest import RecordedLink
from tests.sim.conformance.raw_gcs import RawGcs, Received, is_ack, is_text, is_type, raw_gcs

SILENCE_S = 0.8
MSG_GLOBAL_POSITION_INT = 33
MSG_AUTOPILOT_VERSION = 148
MAV_STATE_STANDBY = 3
MISSION = mavlink.MAV_MISSION_TYPE_MISSION
# The 3-item mission of trace d: frame 6 (GLOBAL_RELATIVE_ALT_INT) waypoints at 30 m.
EDGE_ITEMS_XY = [(502294496, 172049999), (502294496, 172057021), (502290000, 172057021)]


def _item_int(gcs: RawGcs, seq: int) -> Any:
    x, y = EDGE_ITEMS_XY[seq]
    return gcs.mav.mission_item_int_encode(
        1, 1, seq, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mavlink.MAV_CMD_NAV_WAYPOINT,
        0, 1, 0.0, 0.0, 0.0, math.nan, x, y, 30.0, MISSION,
    )  # fmt: skip


async def _ack_result(gcs: RawGcs, command: int, since: int, timeout_s: float = SILENCE_S) -> int | None:
    got = await gcs.wait_for(is_ack(command), timeout_s, since)
    return None if got is None else int(got.msg.result)


async def _rate_hz(gcs: RawGcs, msg_type: str, seconds: float) -> float:
    """Frames per second of the clock the vehicle schedules its streams on (PX4: hrt, lockstep)."""
    since = gcs.mark()
    start = time.time()
    await asyncio.sleep(seconds)
    return len(gcs.seen(is_type(msg_type), since)) / (gcs.clock_at(time.time()) - gcs.clock_at(start))


async def _heartbeat_after(gcs: RawGcs, since: int, timeout_s: float = 2.5) -> Received:
    got = await gcs.wait_for(is_type("HEARTBEAT"), timeout_s, since)
    assert got is not None, "the vehicle stopped sending HEARTBEAT"
    return got


async def _set_mode(gcs: RawGcs, *params: float) -> tuple[list[int], Any]:
    """DO_SET_MODE; returns the ACK results seen within 0.5 s and the heartbeat that follows 1.2 s later."""
    since = gcs.mark()
    gcs.command_long(mavlink.MAV_CMD_DO_SET_MODE, *params)
    await asyncio.sleep(1.2)
    acks = [int(r.msg.result) for r in gcs.seen(is_ack(mavlink.MAV_CMD_DO_SET_MODE), since)]
    return acks, (await _heartbeat_after(gcs, gcs.mark())).msg


async def run_protocol_edges(link: RecordedLink) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with raw_gcs(link.station_port, boot_to_link=link.boot_to_link()) as gcs:
        first = await gcs.wait_for(is_type("HEARTBEAT"), 20.0)
        assert first is not None, "no HEARTBEAT from the vehicle"
        ready = await gcs.wait_for(
            lambda m: m.get_type() == "HEARTBEAT" and m.system_status == MAV_STATE_STANDBY, 30.0
        )
        assert ready is not None, "the vehicle never became ready (STANDBY)"
        # Idle default rates: nobody has touched the message intervals yet.
        idle_start = time.time()
        await asyncio.sleep(5.0)
        results["idle_window"] = (idle_start, time.time())

        since = gcs.mark()
        gcs.command_long(mavlink.MAV_CMD_REQUEST_MESSAGE, MSG_AUTOPILOT_VERSION)
        await gcs.wait_for(is_ack(mavlink.MAV_CMD_REQUEST_MESSAGE), 2.0, since)
        results["request_message_autopilot_version"] = [
            r.msg.get_type() for r in gcs.seen(is_type("AUTOPILOT_VERSION", "COMMAND_ACK"), since)
        ]

        for command in (31337, 60123):
            since = gcs.mark()
            gcs.command_long(command, 1, 2, 3, 4, 5, 6, 7)
            results[f"unknown_command_long_{command}"] = await _ack_result(gcs, command, since)
        since = gcs.mark()
        gcs.send(gcs.mav.command_int_encode(1, 1, 0, 60124, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        results["unknown_command_int_60124"] = await _ack_result(gcs, 60124, since)

        for key, target in (
            ("command_to_wrong_sysid", (42, 1)),
            ("command_to_wrong_compid", (1, 99)),
            ("command_to_compid0", (1, 0)),
        ):
            since = gcs.mark()
            gcs.command_long(mavlink.MAV_CMD_REQUEST_MESSAGE, MSG_AUTOPILOT_VERSION, target=target)
            results[key] = await _ack_result(gcs, mavlink.MAV_CMD_REQUEST_MESSAGE, since)

        since = gcs.mark()
        gcs.command_long(mavlink.MAV_CMD_GET_MESSAGE_INTERVAL, MSG_GLOBAL_POSITION_INT)
        await gcs.wait_for(is_ack(mavlink.MAV_CMD_GET_MESSAGE_INTERVAL), 2.0, since)
        replies = gcs.seen(is_type("MESSAGE_INTERVAL", "COMMAND_ACK"), since)
        results["get_message_interval"] = [
            (r.msg.get_type(), getattr(r.msg, "interval_us", None)) for r in replies
        ]

        results["gpi_rate_before_hz"] = await _rate_hz(gcs, "GLOBAL_POSITION_INT", 2.5)
        since = gcs.mark()
        gcs.command_long(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, MSG_GLOBAL_POSITION_INT, 50000)
        results["set_message_interval_ack"] = await _ack_result(
            gcs, mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, since
        )
        await asyncio.sleep(0.2)
        results["gpi_rate_after_hz"] = await _rate_hz(gcs, "GLOBAL_POSITION_INT", 2.5)
        since = gcs.mark()
        gcs.command_long(mavlink.MAV_CMD_GET_MESSAGE_INTERVAL, MSG_GLOBAL_POSITION_INT)
        got = await gcs.wait_for(is_type("MESSAGE_INTERVAL"), 2.0, since)
        results["get_message_interval_after_set_us"] = None if got is None else got.msg.interval_us
        for value, key in ((-1, "gpi_rate_after_minus1_hz"), (0, "gpi_rate_after_0_hz")):
            since = gcs.mark()
            gcs.command_long(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, MSG_GLOBAL_POSITION_INT, value)
            results[f"set_message_interval_{value}_ack"] = await _ack_result(
                gcs, mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, since
            )
            await asyncio.sleep(0.2)
            results[key] = await _rate_hz(gcs, "GLOBAL_POSITION_INT", 1.5 if value < 0 else 2.5)

        await _stalled_upload(gcs, results)
        await _out_of_sequence_upload(gcs, results)
        await _downloads_and_clears(gcs, results)
        await _params(gcs, results)
        await _modes(gcs, results)
        await _arming(gcs, link, results)
    return results


def _request_rows(gcs: RawGcs, since: int, t0: float) -> list[list[Any]]:
    kinds = ("MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK")
    rows = []
    for r in gcs.seen(is_type(*kinds), since):
        value = r.msg.type if r.msg.get_type() == "MISSION_ACK" else r.msg.seq
        rows.append([r.msg.get_type(), round(gcs.clock_at(r.t) - gcs.clock_at(t0), 3), value])
    return rows


async def _stalled_upload(gcs: RawGcs, results: dict[str, Any]) -> None:
    since = gcs.mark()
    gcs.send(gcs.mav.mission_count_encode(1, 1, 3, MISSION))
    t0 = time.time()
    timeout = await gcs.wait_for(is_text("Operation timeout\t"), 8.0, since)
    results["operation_timeout_after_s"] = (
        None if timeout is None else round(gcs.clock_at(timeout.t) - gcs.clock_at(t0), 3)
    )
    results["operation_timeout_severity"] = None if timeout is None else timeout.msg.severity
    await asyncio.sleep(1.0)  # PX4 was watched for 30 s: no MISSION_ACK ever
    rows = _request_rows(gcs, since, t0)
    results["mission_count_no_items"] = [row for row in rows if row[0] != "MISSION_ACK"]
    results["mission_count_no_items_acks"] = [row for row in rows if row[0] == "MISSION_ACK"]
    current = await gcs.wait_for(is_type("MISSION_CURRENT"), 2.0, gcs.mark())
    results["mission_current_total_after_stall"] = None if current is None else current.msg.total


async def _out_of_sequence_upload(gcs: RawGcs, results: dict[str, Any]) -> None:
    requests = is_type("MISSION_REQUEST", "MISSION_REQUEST_INT")
    since = gcs.mark()
    gcs.send(gcs.mav.mission_count_encode(1, 1, 3, MISSION))
    t0 = time.time()
    first = await gcs.wait_for(requests, 2.0, since)
    assert first is not None, "no request for seq 0"
    gcs.send(_item_int(gcs, 1))  # answers the request for seq 0 with seq 1
    answered = gcs.mark()
    for _ in range(10):
        request = await gcs.wait_for(requests, 2.0, answered)
        if request is None:
            break
        answered = gcs.mark()
        gcs.send(_item_int(gcs, request.msg.seq))
        if request.msg.seq == len(EDGE_ITEMS_XY) - 1:
            break
    await gcs.wait_for(is_type("MISSION_ACK"), 2.0, since)
    results["mission_out_of_sequence"] = _request_rows(gcs, since, t0)


async def _downloads_and_clears(gcs: RawGcs, results: dict[str, Any]) -> None:
    since = gcs.mark()
    gcs.send(gcs.mav.mission_request_list_encode(1, 1, MISSION))
    count = await gcs.wait_for(is_type("MISSION_COUNT"), 2.0, since)
    results["download_count"] = None if count is None else count.msg.count
    items = []
    for seq in range(len(EDGE_ITEMS_XY)):
        since = gcs.mark()
        gcs.send(gcs.mav.mission_request_int_encode(1, 1, seq, MISSION))
        got = await gcs.wait_for(is_type("MISSION_ITEM_INT"), 2.0, since)
        items.append(None if got is None else (got.msg.seq, got.msg.frame, got.msg.current))
    gcs.send(gcs.mav.mission_ack_encode(1, 1, mavlink.MAV_MISSION_ACCEPTED, MISSION))
    results["download_items_int"] = items

    for mission_type in (mavlink.MAV_MISSION_TYPE_FENCE, mavlink.MAV_MISSION_TYPE_RALLY):
        since = gcs.mark()
        gcs.send(gcs.mav.mission_request_list_encode(1, 1, mission_type))
        got = await gcs.wait_for(is_type("MISSION_COUNT"), 2.0, since)
        # The recorder moved on 1 s later; keep its pace, because what the deprecated download below
        # reports as current depends on whether the navigator has loaded the mission meanwhile.
        await asyncio.sleep(1.0)
        results[f"download_count_type_{mission_type}"] = None if got is None else got.msg.count
        results[f"download_type_{mission_type}_more"] = [
            r.msg.get_type()
            for r in gcs.seen(is_type("MISSION_REQUEST", "MISSION_ITEM_INT", "MISSION_ACK"), since)
        ]

    since = gcs.mark()
    gcs.send(gcs.mav.mission_request_list_encode(1, 1, MISSION))
    await gcs.wait_for(is_type("MISSION_COUNT"), 2.0, since)
    since = gcs.mark()
    gcs.send(gcs.mav.mission_request_encode(1, 1, 0, MISSION))
    got = await gcs.wait_for(is_type("MISSION_ITEM", "MISSION_ITEM_INT"), 2.0, since)
    gcs.send(gcs.mav.mission_ack_encode(1, 1, mavlink.MAV_MISSION_ACCEPTED, MISSION))
    results["download_deprecated_request"] = (
        None if got is None else (got.msg.get_type(), got.msg.frame, got.msg.current, round(got.msg.x, 5))
    )

    since = gcs.mark()
    gcs.send(gcs.mav.mission_set_current_encode(1, 1, 1))
    t0 = time.time()
    current = await gcs.wait_for(lambda m: m.get_type() == "MISSION_CURRENT" and m.seq == 1, 2.5, since)
    results["set_current_shown_after_s"] = None if current is None else round(current.t - t0, 3)
    results["set_current_acks"] = [
        r.msg.get_type() for r in gcs.seen(is_type("MISSION_ACK", "COMMAND_ACK"), since)
    ]

    since = gcs.mark()
    gcs.send(gcs.mav.mission_clear_all_encode(1, 1, MISSION))
    ack = await gcs.wait_for(is_type("MISSION_ACK"), 2.0, since)
    results["clear_all_ack"] = None if ack is None else ack.msg.type
    since = gcs.mark()
    gcs.send(gcs.mav.mission_count_encode(1, 1, 0, MISSION))
    ack = await gcs.wait_for(is_type("MISSION_ACK"), 2.0, since)
    results["mission_count_0_ack"] = None if ack is None else ack.msg.type
    results["mission_count_0_requests"] = len(
        gcs.seen(is_type("MISSION_REQUEST", "MISSION_REQUEST_INT"), since)
    )
    current = await gcs.wait_for(is_type("MISSION_CURRENT"), 2.0, since)
    results["mission_current_total_after_clear"] = None if current is None else current.msg.total


async def _params(gcs: RawGcs, results: dict[str, Any]) -> None:
    since = gcs.mark()
    gcs.send(gcs.mav.param_request_read_encode(1, 1, b"NO_SUCH_PARAM", -1))
    got = await gcs.wait_for(is_type("PARAM_VALUE"), SILENCE_S, since)
    results["param_read_nonexistent"] = "None" if got is None else got.msg.param_id
    since = gcs.mark()
    gcs.send(gcs.mav.param_set_encode(1, 1, b"NO_SUCH_PARAM", 1.0, mavlink.MAV_PARAM_TYPE_INT32))
    got = await gcs.wait_for(is_type("PARAM_VALUE"), SILENCE_S, since)
    results["param_set_nonexistent"] = "None" if got is None else got.msg.param_id
    since = gcs.mark()
    gcs.send(gcs.mav.param_request_read_encode(1, 1, b"", 0))
    got = await gcs.wait_for(is_type("PARAM_VALUE"), 2.0, since)
    results["param_index_0"] = (
        None if got is None else (got.msg.param_id, got.msg.param_type, got.msg.param_index)
    )
    since = gcs.mark()
    gcs.send(gcs.mav.param_request_read_encode(1, 1, b"COM_DL_LOSS_T", -1))
    got = await gcs.wait_for(is_type("PARAM_VALUE"), 2.0, since)
    results["param_com_dl_loss_t"] = None if got is None else (got.msg.param_type, got.msg.param_value)


async def _modes(gcs: RawGcs, results: dict[str, Any]) -> None:
    custom = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    for key, params in (
        ("do_set_mode_invalid", (custom, 99)),
        ("do_set_mode_posctl_no_rc", (custom, 3)),
        ("do_set_mode_auto_loiter", (custom, 4, 3)),
    ):
        acks, heartbeat = await _set_mode(gcs, *params)
        results[key] = acks[0] if acks else None
        results[f"{key}_acks"] = acks
        results[f"{key}_heartbeat"] = (heartbeat.custom_mode, heartbeat.base_mode, heartbeat.system_status)


async def _command_with_texts(
    gcs: RawGcs, command: int, *params: float, confirmation: int = 0, wait_s: float = 1.0
) -> tuple[int | None, list[str]]:
    since = gcs.mark()
    gcs.command_long(command, *params, confirmation=confirmation)
    await asyncio.sleep(wait_s)
    acks = gcs.seen(is_ack(command), since)
    texts = [r.msg.text for r in gcs.seen(is_type("STATUSTEXT"), since)]
    return (int(acks[0].msg.result) if acks else None), texts


async def _arming(gcs: RawGcs, link: RecordedLink, results: dict[str, Any]) -> None:
    arm = mavlink.MAV_CMD_COMPONENT_ARM_DISARM
    results["arm1"], results["arm1_texts"] = await _command_with_texts(gcs, arm, 1)
    results["arm1_heartbeat_base_status"] = await _base_and_status(gcs)
    results["arm_when_armed"], results["arm_when_armed_texts"] = await _command_with_texts(gcs, arm, 1)
    results["arm_when_armed_conf1"], _ = await _command_with_texts(gcs, arm, 1, confirmation=1)
    results["disarm"], results["disarm_texts"] = await _command_with_texts(gcs, arm, 0)
    results["disarm_when_disarmed"], results["disarm_when_disarmed_texts"] = await _command_with_texts(
        gcs, arm, 0
    )

    # Auto-disarm after COM_DISARM_PRFLT is vehicle time: fast-forward it, measure it on that clock.
    link.set_speed(5.0)
    since = gcs.mark()
    results["arm2"], _ = await _command_with_texts(gcs, arm, 1, wait_s=0.0)
    armed = await gcs.wait_for(is_ack(arm), 5.0, since)
    disarmed = await gcs.wait_for(is_text("Disarmed by auto preflight disarming\t"), 30.0, since)
    # from the vehicle's ACK of the ARM to its text, both on the clock it sent them by
    results["auto_disarm_vehicle_s"] = (
        None
        if disarmed is None or armed is None
        else round(gcs.boot_s_before(disarmed) - gcs.boot_s_before(armed), 3)
    )
    link.set_speed(2.0)
    await asyncio.sleep(1.0)

    since = gcs.mark()
    nan = math.nan
    results["takeoff_disarmed"], _ = await _command_with_texts(
        gcs, mavlink.MAV_CMD_NAV_TAKEOFF, nan, nan, nan, nan, nan, nan, nan, wait_s=1.2
    )
    hb = (await _heartbeat_after(gcs, gcs.mark())).msg
    results["takeoff_disarmed_heartbeat"] = (hb.custom_mode, hb.base_mode, hb.system_status)
    results["arm3"], _ = await _command_with_texts(gcs, arm, 1, wait_s=0.0)
    took_off = await gcs.wait_for(is_text("Takeoff detected\t"), 15.0, since)
    results["takeoff_detected"] = took_off is not None
    in_air = await gcs.wait_for(
        lambda m: m.get_type() == "EXTENDED_SYS_STATE" and m.landed_state == mavlink.MAV_LANDED_STATE_IN_AIR,
        20.0,
        since,
    )
    assert in_air is not None, "the vehicle never finished its takeoff"
    results["disarm_in_air"], results["disarm_in_air_texts"] = await _command_with_texts(gcs, arm, 0)
    since = gcs.mark()
    results["land"], _ = await _command_with_texts(gcs, mavlink.MAV_CMD_NAV_LAND, 0, 0, 0, nan, nan, nan, nan)
    landed = await gcs.wait_for(is_text("Disarmed by landing\t"), 30.0, since)
    results["land_disarmed"] = landed is not None
    await asyncio.sleep(2.2)  # the mode changes again after the disarm


async def _base_and_status(gcs: RawGcs) -> tuple[int, int]:
    hb = (await _heartbeat_after(gcs, gcs.mark())).msg
    return hb.base_mode, hb.system_status
