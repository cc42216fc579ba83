"""Views of :class:`sim.trace_facts.WireFacts` that can be compared between PX4 and the simulator.

Numbers inside texts (altitudes, log file names) differ between runs, so texts are compared with digits
folded to ``#``; everything else that the README calls a fact is compared as it is.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sim.trace_facts import Frame, StatusText, WireFacts

NUMBER = re.compile(r"\d+(?:\.\d+)?")
Clock = Callable[[float], float]


def wall_clock(t: float) -> float:
    return t


def text_shape(text: str) -> str:
    """The text with every number replaced by '#': 'RTL: start return at # m (# m above destination)'."""
    return NUMBER.sub("#", text)


def text_sequence(facts: WireFacts) -> list[tuple[int, str]]:
    """(severity, shape) of every STATUSTEXT in order, chunks joined."""
    return [(s.severity, text_shape(s.text)) for s in facts.statustexts]


def heartbeat_phases(facts: WireFacts) -> list[tuple[str, int, int]]:
    """(mode, base_mode, system_status) as the HEARTBEAT showed them, consecutive repeats folded."""
    phases: list[tuple[str, int, int]] = []
    for hb in facts.heartbeats:
        phase = (hb.mode, hb.base_mode, hb.system_status)
        if not phases or phases[-1] != phase:
            phases.append(phase)
    return phases


def first_text(facts: WireFacts, text: str) -> StatusText:
    for status in facts.statustexts:
        if status.text == text:
            return status
    raise AssertionError(f"no STATUSTEXT {text!r}; saw {facts.texts()}")


def mission_exchange(facts: WireFacts, mission_type: int) -> list[tuple[str, int | None]]:
    """(direction + message, seq or result) of the mission protocol for one mission type, in order."""
    out: list[tuple[str, int | None]] = []
    for _, kind, fields in facts.mission:
        if fields.get("mission_type", 0) != mission_type:
            continue
        if kind.endswith("MISSION_ACK"):
            out.append((kind, fields["type"]))
        elif kind.endswith("COUNT"):
            out.append((kind, fields["count"]))
        else:
            out.append((kind, fields.get("seq")))
    return out


def uploads(exchange: list[tuple[str, int | None]]) -> list[list[tuple[str, int | None]]]:
    """Splits an exchange into uploads, each starting at a G2V MISSION_COUNT."""
    result: list[list[tuple[str, int | None]]] = []
    for step in exchange:
        if step[0] == "G2V MISSION_COUNT":
            result.append([])
        if result:
            result[-1].append(step)
    return result


def reached_repeats(facts: WireFacts) -> dict[int, int]:
    """How many MISSION_ITEM_REACHED frames each seq got."""
    return dict(Counter(seq for _, seq in facts.items_reached))


def acks_of(facts: WireFacts, command: int) -> list[tuple[float, int]]:
    return [(t, result) for t, cmd, result in facts.acks if cmd == command]


def frames_fields(facts: WireFacts, kind: str) -> list[dict[str, Any]]:
    return [fields for _, k, fields in facts.mission if k == kind]


def stream_rates(
    frames: Iterable[Frame], vehicle: tuple[int, int] = (1, 1), clock: Clock = wall_clock
) -> dict[str, tuple[int, float]]:
    """(count, Hz) per message type from the vehicle, the rate from first to last arrival, so that a
    window's edges falling next to a 1 Hz burst do not count as an extra message. Hz per second of
    ``clock``."""
    times: dict[str, list[float]] = defaultdict(list)
    for frame in frames:
        if frame.sender == vehicle:
            times[frame.msg.get_type()].append(clock(frame.t))
    return {
        name: (len(ts), (len(ts) - 1) / (ts[-1] - ts[0]) if len(ts) > 1 and ts[-1] > ts[0] else 0.0)
        for name, ts in times.items()
    }


def vehicle_commands(frames: Iterable[Frame], vehicle: tuple[int, int] = (1, 1)) -> list[Any]:
    """COMMAND_LONGs the vehicle itself sent (PX4 addresses its own modules at <sysid>/0)."""
    return [f.msg for f in frames if f.sender == vehicle and f.msg.get_type() == "COMMAND_LONG"]


SelfCommandKey = tuple[int, tuple[float | None, ...], int]


def self_command_sends(commands: Iterable[Any]) -> Counter[SelfCommandKey]:
    """How often each (command, params, confirmation) went out: which of the vehicle's own commands PX4
    repeats depends on how it groups them. NaN params become None so that they compare equal; command
    0's param7 is the home altitude, which depends on the terrain under home, so it is left out."""
    sends: Counter[SelfCommandKey] = Counter()
    for m in commands:
        params = [m.param1, m.param2, m.param3, m.param4, m.param5, m.param6, m.param7]
        if m.command == 0:
            params[6] = None
        key = tuple(None if p is None or math.isnan(p) else round(p, 3) for p in params)
        sends[(m.command, key, m.confirmation)] += 1
    return sends


def retry_gaps(frames: Iterable[Frame], command: int, clock: Clock = wall_clock) -> dict[int, list[float]]:
    """Per confirmation 1..3: seconds since the latest send of the same command with the confirmation
    before it (so that repeats of consecutive commands that overlap in time still pair up)."""
    last: dict[tuple[tuple[float, ...], int], float] = {}
    gaps: dict[int, list[float]] = defaultdict(list)
    for frame in frames:
        m = frame.msg
        if frame.sender != (1, 1) or m.get_type() != "COMMAND_LONG" or m.command != command:
            continue
        key = (m.param1, m.param2, m.param3)
        previous = last.get((key, m.confirmation - 1))
        if m.confirmation > 0 and previous is not None:
            gaps[m.confirmation].append(clock(frame.t) - previous)
        last[(key, m.confirmation)] = clock(frame.t)
    return dict(gaps)


def vehicle_clock(frames: Iterable[Frame], vehicle: tuple[int, int] = (1, 1)) -> Clock:
    """Wall time -> the vehicle's own time (ATTITUDE.time_boot_ms, 100 Hz), interpolated.

    PX4 SITL runs in lockstep with its simulator, so every timer PX4 keeps (hrt_absolute_time: stream
    intervals, mission retries, command retries, commander hysteresis) runs on this clock, and on a busy
    machine it runs 0.67-0.98x as fast as the wall clock (trace e README). Timing that PX4 keeps itself
    is therefore compared on this clock; see ``RecordedLink.link_clock``."""
    walls: list[float] = []
    boots: list[float] = []
    for frame in frames:
        if frame.sender == vehicle and frame.msg.get_type() == "ATTITUDE":
            walls.append(frame.t)
            boots.append(frame.msg.time_boot_ms / 1000.0)
    if len(walls) < 2:
        raise AssertionError("too few ATTITUDE frames to read the vehicle's clock")

    def at(t: float) -> float:
        i = min(max(bisect.bisect_right(walls, t), 1), len(walls) - 1)
        w0, w1, b0, b1 = walls[i - 1], walls[i], boots[i - 1], boots[i]
        return b0 + (t - w0) * (b1 - b0) / (w1 - w0) if w1 > w0 else b0

    return at


def frame_order_clock(
    frames: Iterable[Frame],
    boot_to_link: Callable[[float], float],
    vehicle: tuple[int, int] = (1, 1),
    repeat_step_s: float = 0.0,
) -> Clock:
    """Arrival time of a recorded frame -> the link time the vehicle had when that frame passed the
    recorder, by frame order: the link time of the last ATTITUDE recorded before it (:func:`attitude_links`).

    A starved recorder stamps the frames of several late ticks with one instant, so interpolating arrival
    times (``vehicle_clock``) squeezes the gaps between them; the order in which one proxy socket relayed
    them does not change. A frame reads up to two ticks early: it may go out before its own tick's
    ATTITUDE, and ATTITUDE skips a tick now and then (98 Hz, as PX4's). A time between frames reads as the
    last frame before it."""
    stamps: list[float] = []
    links: list[float] = []
    link_s: float | None = None
    for frame, attitude_link_s in attitude_links(frames, boot_to_link, vehicle, repeat_step_s):
        if attitude_link_s is not None:
            link_s = attitude_link_s
        if link_s is not None:
            stamps.append(frame.t)
            links.append(link_s)
    if len(stamps) < 2:
        raise AssertionError("too few ATTITUDE frames to read the vehicle's clock")
    if any(b < a for a, b in itertools.pairwise(stamps)):
        raise AssertionError("recorded stamps go backwards: frame order and stamps disagree")

    def at(t: float) -> float:
        return links[max(bisect.bisect_right(stamps, t) - 1, 0)]

    return at


def attitude_links(
    frames: Iterable[Frame],
    boot_to_link: Callable[[float], float],
    vehicle: tuple[int, int] = (1, 1),
    repeat_step_s: float = 0.0,
) -> Iterator[tuple[Frame, float | None]]:
    """Each frame, with the link time it was sent at if it is one of the vehicle's ATTITUDEs (else None).

    ATTITUDE.time_boot_ms is its sample time. The simulator steps physics every second tick and sends
    ATTITUDE every tick, so an ATTITUDE that repeats the previous one's stamp was sent one tick after it:
    ``repeat_step_s`` (one tick for the simulator; 0 for PX4 SITL, which samples each step it sends)."""
    last_boot_ms: int | None = None
    last_link_s = 0.0
    for frame in frames:
        if frame.sender != vehicle or frame.msg.get_type() != "ATTITUDE":
            yield frame, None
            continue
        boot_ms = frame.msg.time_boot_ms
        if boot_ms == last_boot_ms:
            last_link_s += repeat_step_s
        else:
            last_link_s = boot_to_link(boot_ms / 1000.0)
        last_boot_ms = boot_ms
        yield frame, last_link_s


@dataclass(frozen=True)
class SentWithin:
    """A vehicle frame and the link times it was sent between, read from the ATTITUDEs around it."""

    earliest: float
    latest: float
    msg: Any


ATTITUDE_STAMP_LAG_S = 0.01
"""How far an ATTITUDE's time_boot_ms (its sample time) may lie before the moment it is sent: the simulator
steps physics every second 10 ms tick and sends ATTITUDE every tick; PX4 SITL samples each 4 ms step."""


def sent_within(
    frames: Iterable[Frame],
    boot_to_link: Callable[[float], float],
    msg_type: str,
    vehicle: tuple[int, int] = (1, 1),
    repeat_step_s: float = 0.0,
) -> list[SentWithin]:
    """Each ``msg_type`` frame from the vehicle with the interval of link time it was sent in, by frame
    order: no earlier than the ATTITUDE sent before it, no later than the stamp of the one sent after it
    plus :data:`ATTITUDE_STAMP_LAG_S` (and 1 ms of stamp truncation), seen through ``boot_to_link``.

    Arrival times of a starved recorder come in bunches; the order in which one socket sent frames does not.
    A single point (the ATTITUDE before) reads up to two ticks early (:func:`frame_order_clock`); bounds
    say what the wire proves, and no more."""
    out: list[SentWithin] = []
    before: float | None = None
    waiting: list[tuple[float, Any]] = []
    for frame, link_s in attitude_links(frames, boot_to_link, vehicle, repeat_step_s):
        if link_s is not None:
            latest = boot_to_link(frame.msg.time_boot_ms / 1000.0 + 0.001) + ATTITUDE_STAMP_LAG_S
            out.extend(SentWithin(earliest, latest, msg) for earliest, msg in waiting)
            waiting = []
            before = link_s
        elif frame.sender == vehicle and frame.msg.get_type() == msg_type and before is not None:
            waiting.append((before, frame.msg))
    return out


# One second of the limiter, plus one loop pass (PX4's mavlink loop, the simulator's 10 ms tick), plus
# what a loaded 2-core machine adds to a single arrival time (stalls of up to ~0.2 s were seen).
JITTERED_SECOND = 1.25


def assert_one_second_apart(gaps: list[float], label: object) -> None:
    """Repeats of a 1 s MavlinkRateLimiter: >= 1 s each (it restarts from the send, never catches up),
    late by a loop pass. A stall of the receiver delays single arrivals (a long gap, then a short one),
    one of the sender stretches a gap, so each gap only has to be plausible and, over a full run of
    repeats, their mean has to be the limiter's: 0.98 s (10 ms clock resolution) to 1.1 s."""
    assert all(0.5 <= gap <= JITTERED_SECOND for gap in gaps), (label, gaps)
    if len(gaps) >= 5:
        assert 0.98 <= sum(gaps) / len(gaps) <= 1.1, (label, gaps)
