"""Property-based fuzzing of the parsers that read bytes from outside (issue 9, point 8).

Each parser gets arbitrary input *and* structured mutations of a valid document (so the search reaches
the parser's depths, not only its first check). The property is always the same: the parser returns or
raises its documented error (``InputError``, ``RtpFormatError``), never anything else, and the MAVLink
splitter never raises at all and recovers every valid frame however the stream is cut.

Example counts are modest (CI runs on 2 cores); ``FUZZ_EXAMPLES`` scales them for a longer local run.
CI runs are derandomised (the same examples every run, so CI is not flaky); ``FUZZ_RANDOM=1`` explores
new inputs on every run, for a local search.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.errors import InputError
from geodata.zones.ed269 import load_ed269
from geodata.zones.openair import load_openair
from ground_station.links.framing import FrameSplitter
from ground_station.video.rtp import RtpFormatError, RtpH264Depacketizer
from missions.formats.kml import dump_kml, load_kml
from missions.formats.qgc_plan import dump_plan, load_plan
from missions.model import Mission
from sim.camera.rtp_h264 import RtpH264Packetizer

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
        derandomize=not RANDOM,
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with 1-3 nodes replaced by arbitrary JSON (or removed from their container)."""
    doc = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        node, parent, key = doc, None, None
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            key = draw(st.sampled_from(keys))
            parent, node = node, node[key]
        if parent is None:
            continue
        if draw(st.integers(0, 4)) == 0:
            del parent[key]  # type: ignore[arg-type]
        else:
            parent[key] = draw(json_values)  # type: ignore[index]
    return doc


# -- MAVLink framing (the per-link router) --------------------------------------------------------------


def _valid_frames() -> list[bytes]:
    from pymavlink.dialects.v20 import common as mavlink

    from sim.mavlink_codec import FrameEncoder

    encoder = FrameEncoder(1, 1)
    messages = [
        mavlink.MAVLink_heartbeat_message(2, 12, 0, 0, 4, 3),
        mavlink.MAVLink_global_position_int_message(
            1000, 502500000, 172000000, 600000, 50000, 10, -5, 0, 9000
        ),
        mavlink.MAVLink_statustext_message(6, b"Takeoff detected", 0, 0),
        mavlink.MAVLink_attitude_message(1, 0.1, -0.2, 1.5, 0.0, 0.0, 0.0),
    ]
    return [encoder.encode(m) for m in messages * 3]


VALID_FRAMES = _valid_frames()


@fuzz(400)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_splitter_never_raises_and_keeps_its_buffer_bounded(chunks: list[bytes]) -> None:
    splitter = FrameSplitter(max_pending=1024)
    for chunk in chunks:
        for frame in splitter.feed(chunk):
            assert frame.raw[0] in (0xFD, 0xFE)
        assert len(splitter._pending) <= 1024
    for chunk in chunks:
        splitter.feed_datagram(chunk)


@fuzz(300)
@given(st.lists(st.integers(0, 10_000), max_size=12))
def test_splitter_recovers_every_frame_however_the_stream_is_cut(cuts: list[int]) -> None:
    stream = b"".join(VALID_FRAMES)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    pieces = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    splitter = FrameSplitter()
    got = [f.raw for piece in pieces for f in splitter.feed(piece)]
    assert got == VALID_FRAMES
    assert splitter.stats.bad == 0


@fuzz(300)
@given(st.binary(max_size=200), st.integers(0, len(VALID_FRAMES) - 1))
def test_garbage_between_datagrams_never_costs_a_valid_datagram(garbage: bytes, which: int) -> None:
    splitter = FrameSplitter()
    splitter.feed_datagram(garbage)
    assert [f.raw for f in splitter.feed_datagram(VALID_FRAMES[which])] == [VALID_FRAMES[which]]


# -- RTP H.264 depacketiser (sim/camera) ----------------------------------------------------------------


@fuzz(400)
@given(st.lists(st.binary(max_size=1600), max_size=20))
def test_depacketizer_raises_only_rtp_format_errors(datagrams: list[bytes]) -> None:
    depacketizer = RtpH264Depacketizer()
    for datagram in datagrams:
        try:
            depacketizer.push(datagram)
        except RtpFormatError:
            pass


@fuzz(200)
@given(
    st.lists(st.binary(min_size=1, max_size=4000).map(lambda b: bytes([0x65]) + b), min_size=1, max_size=5),
    st.integers(0, 2**32 - 1),
)
def test_packetized_access_units_come_back_whole(nals: list[bytes], timestamp: int) -> None:
    packets = RtpH264Packetizer(0x1234).packetize(nals, timestamp)
    depacketizer = RtpH264Depacketizer()
    units = [u for p in packets for u in depacketizer.push(p)]
    assert len(units) == 1 and units[0].complete and units[0].nals == nals


@fuzz(200)
@given(st.data())
def test_depacketizer_survives_mutated_real_packets(data: st.DataObject) -> None:
    nals = [bytes([0x67, 1, 2, 3]), bytes([0x68, 4]), bytes([0x65]) + bytes(range(256)) * 12]
    packets = RtpH264Packetizer(0x1234).packetize(nals, 90_000)
    depacketizer = RtpH264Depacketizer()
    for packet in packets:
        raw = bytearray(packet)
        for _ in range(data.draw(st.integers(0, 3))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        cut = data.draw(st.integers(0, len(raw)))
        try:
            depacketizer.push(bytes(raw[:cut]) if data.draw(st.booleans()) else bytes(raw))
        except RtpFormatError:
            pass


# -- OpenAir ---------------------------------------------------------------------------------------------

OPENAIR_LINES = st.one_of(
    st.sampled_from(["AC R", "AC P", "AC Q", "AC CTR", "AC GP", "AC ??", "AN TEST ZONE", "AY XX", "*"]),
    st.builds(lambda v: f"AL {v}", st.sampled_from(["GND", "SFC", "FL95", "1500ft MSL", "500 ft AGL", "x"])),
    st.builds(lambda v: f"AH {v}", st.sampled_from(["FL 195", "UNL", "3500fl msl", "9999999 m", "-5 ft"])),
    st.builds(
        lambda d, m, s, h, e: f"DP {d}:{m}:{s} {h} 017:{m}:{s} {e}",
        st.integers(-5, 95),
        st.integers(0, 70),
        st.integers(0, 70),
        st.sampled_from(["N", "S", "X"]),
        st.sampled_from(["E", "W", ""]),
    ),
    st.builds(
        lambda x: f"V X={x}", st.sampled_from(["50:15:00 N 017:12:00 E", "junk", "", "99:99:99 N 0 E"])
    ),
    st.builds(lambda r: f"DC {r}", st.sampled_from(["2", "0", "-1", "1e9", "nan", "x"])),
    st.sampled_from(["V D=+", "V D=-", "DB 50:15:00 N 017:12:00 E, 50:16:00 N 017:13:00 E", "DA 2,0,90"]),
    st.text(max_size=40),
)


@fuzz(300)
@given(st.lists(OPENAIR_LINES, max_size=30))
def test_openair_raises_only_input_errors(lines: list[str]) -> None:
    try:
        load_openair("\n".join(lines).encode())
    except InputError:
        pass


@fuzz(200)
@given(st.binary(max_size=500))
def test_openair_on_arbitrary_bytes(data: bytes) -> None:
    try:
        load_openair(data)
    except InputError:
        pass


# -- ED-269 ----------------------------------------------------------------------------------------------


def _ed269_document() -> dict[str, Any]:
    from tests.geodata.ed269_samples import ed269_circle_zone

    zone = ed269_circle_zone("CZ-FUZZ", "fuzz", [17.2, 50.2], 500.0, upper_m=120.0, upper_ref="AGL")
    polygon = json.loads(json.dumps(zone))
    polygon["identifier"] = "CZ-FUZZ-2"
    polygon["geometry"][0]["horizontalProjection"] = {
        "type": "Polygon",
        "coordinates": [[[17.0, 50.0], [17.1, 50.0], [17.1, 50.1], [17.0, 50.0]]],
    }
    return {"title": "fuzz", "features": [zone, polygon]}


ED269 = _ed269_document()


@fuzz(400)
@given(mutated(ED269))
def test_ed269_raises_only_input_errors(document: Any) -> None:
    for source in (document, json.dumps(document).encode()):
        try:
            load_ed269(source)
        except InputError:
            pass


@fuzz(150)
@given(json_values)
def test_ed269_on_arbitrary_json(document: Any) -> None:
    try:
        load_ed269(json.dumps(document).encode())
    except InputError:
        pass


# -- KML and QGC .plan (missions/formats) ----------------------------------------------------------------


def _mission() -> Mission:
    return Mission.model_validate(
        {
            "name": "fuzz",
            "home": {"lon": 17.1, "lat": 50.33, "alt_amsl_m": 700.0},
            "items": [
                {"kind": "takeoff", "lon": 17.1, "lat": 50.33, "alt_m": 30.0, "alt_frame": "REL_HOME"},
                {"kind": "waypoint", "lon": 17.11, "lat": 50.34, "alt_m": 60.0, "alt_frame": "AGL"},
                {"kind": "land", "lon": 17.1, "lat": 50.33},
            ],
        }
    )


KML = dump_kml(_mission())
PLAN = dump_plan(_mission())


@fuzz(300)
@given(st.data())
def test_kml_raises_only_input_errors(data: st.DataObject) -> None:
    raw = bytearray(KML)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        choice = data.draw(st.integers(0, 2))
        if choice == 0:
            raw[at] = data.draw(st.integers(0, 255))
        elif choice == 1:
            del raw[at : at + data.draw(st.integers(1, 40))]
        else:
            raw[at:at] = data.draw(st.sampled_from([b"<", b">", b"&", b"nan", b"-1e999", b",", b"<Point>"]))
    try:
        load_kml(bytes(raw))
    except InputError:
        pass


@fuzz(150)
@given(st.binary(max_size=400))
def test_kml_on_arbitrary_bytes(data: bytes) -> None:
    try:
        load_kml(data)
    except InputError:
        pass


@fuzz(400)
@given(mutated(PLAN))
def test_plan_raises_only_input_errors(document: Any) -> None:
    try:
        load_plan(json.dumps(document).encode())
    except InputError:
        pass


@fuzz(150)
@given(st.binary(max_size=300))
def test_plan_on_arbitrary_bytes(data: bytes) -> None:
    try:
        load_plan(data)
    except InputError:
        pass
