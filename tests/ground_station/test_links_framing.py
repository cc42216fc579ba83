"""Frame splitting, CRC, decoding and URL parsing of the link layer (no sockets)."""

from __future__ import annotations

import random

import pytest
from pymavlink.dialects.v20 import common

from ground_station.links import decode
from ground_station.links.framing import FrameSplitter, mavlink_crc
from ground_station.links.px4_modes import flight_mode_name
from ground_station.links.urls import LinkKind, LinkUrlError, parse_link_url


def _mav() -> common.MAVLink:
    return common.MAVLink(None, srcSystem=1, srcComponent=1)


def test_crc_matches_pymavlink_for_random_data() -> None:
    from pymavlink.mavutil import x25crc

    rng = random.Random(5)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        assert mavlink_crc(data) == x25crc(data).crc


def test_frames_decode_to_the_values_pymavlink_encoded() -> None:
    mav = _mav()
    raw = mav.global_position_int_encode(1234, 502290000, 172050000, 430500, 20250, 150, -20, -5, 9000).pack(
        mav
    )
    raw += mav.heartbeat_encode(2, 12, 0x9D, 0x04040000, 4, 3).pack(mav)
    frames = FrameSplitter().feed(bytes(raw))
    assert [f.msgid for f in frames] == [33, 0]
    position = decode.global_position(frames[0])
    assert (position.lon, position.lat) == pytest.approx((17.205, 50.229))
    assert position.alt_amsl_m == pytest.approx(430.5)
    assert position.alt_rel_m == pytest.approx(20.25)
    assert (position.vn_mps, position.ve_mps, position.vd_mps) == pytest.approx((1.5, -0.2, -0.05))
    assert position.heading_deg == pytest.approx(90.0)
    hb = decode.heartbeat(frames[1])
    assert hb.armed and hb.from_autopilot
    assert flight_mode_name(hb.autopilot, hb.custom_mode) == "AUTO.MISSION"


def test_truncated_v2_payloads_are_padded() -> None:
    mav = _mav()
    raw = bytes(mav.mission_current_encode(0, 0, 0, 0).pack(mav))  # all zeros: MAVLink 2 truncates to 1 byte
    frames = FrameSplitter().feed(raw)
    assert len(frames[0].payload) < 6
    assert decode.mission_current(frames[0]) == decode.MissionCurrent(0, None)


def test_garbage_and_bad_crc_are_counted_and_good_frames_survive() -> None:
    mav = _mav()
    good = bytes(mav.heartbeat_encode(2, 12, 0, 0, 3, 3).pack(mav))
    corrupt = bytearray(good)
    corrupt[12] ^= 0x55
    splitter = FrameSplitter()
    frames = splitter.feed(b"\x00\xfd\x01junk" + bytes(corrupt) + good + b"\xfe")
    splitter.reset()
    assert [f.msgid for f in frames] == [0]
    assert splitter.stats.bad_crc >= 1
    assert splitter.stats.bad >= 2
    rng = random.Random(7)
    for _ in range(300):  # random bytes never raise
        splitter.feed(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400))))
        splitter.reset()


def test_stream_split_across_reads_reassembles() -> None:
    mav = _mav()
    parts = []
    for seq in range(5):
        mav.seq = seq
        parts.append(bytes(mav.heartbeat_encode(2, 12, 0, 0, 3, 3).pack(mav)))
    stream = b"".join(parts)
    splitter = FrameSplitter()
    got = []
    for i in range(0, len(stream), 7):
        got += splitter.feed(stream[i : i + 7])
    assert [f.seq for f in got] == [0, 1, 2, 3, 4]


def test_statustext_chunks_are_joined_and_tab_stripped() -> None:
    mav = _mav()
    assembler = decode.StatusTextAssembler()
    first = mav.statustext_encode(6, b"RTL: start return at 471 m (40 m above destination", 7, 0).pack(mav)
    second = mav.statustext_encode(6, b")\t", 7, 1).pack(mav)
    out = [assembler.add(decode.statustext(f)) for f in FrameSplitter().feed(bytes(first + second))]
    assert out == [None, (6, "RTL: start return at 471 m (40 m above destination)")]


@pytest.mark.parametrize(
    ("url", "kind", "host", "port"),
    [
        ("udpin://127.0.0.1:14541", LinkKind.UDPIN, "127.0.0.1", 14541),
        ("udp://:14540", LinkKind.UDPIN, "127.0.0.1", 14540),
        ("udpout://10.0.0.2:14550", LinkKind.UDPOUT, "10.0.0.2", 14550),
        ("tcp://localhost:5760", LinkKind.TCP, "localhost", 5760),
    ],
)
def test_link_urls(url: str, kind: LinkKind, host: str, port: int) -> None:
    endpoint = parse_link_url(url)
    assert (endpoint.kind, endpoint.host, endpoint.port) == (kind, host, port)


def test_serial_and_bad_urls() -> None:
    serial = parse_link_url("serial:///dev/ttyUSB0:921600")
    assert (serial.device, serial.baud) == ("/dev/ttyUSB0", 921600)
    for bad in ("127.0.0.1:14540", "udpin://127.0.0.1", "ftp://x:1", "serial:///dev/tty:fast"):
        with pytest.raises(LinkUrlError):
            parse_link_url(bad)


def test_datagram_fast_path_checks_crc_and_falls_back_for_anything_else() -> None:
    mav = _mav()
    good = bytes(mav.heartbeat_encode(2, 12, 0, 0, 3, 3).pack(mav))
    corrupt = bytearray(good)
    corrupt[-1] ^= 0xFF
    splitter = FrameSplitter()
    assert [f.msgid for f in splitter.feed_datagram(good)] == [0]
    assert splitter.feed_datagram(bytes(corrupt)) == []
    assert splitter.stats.bad_crc == 1
    two = splitter.feed_datagram(good + good)  # two frames in one datagram: the general path
    assert len(two) == 2
    assert splitter.feed_datagram(good[:-3]) == []  # truncated: counted, not kept for the next datagram
    assert [f.msgid for f in splitter.feed_datagram(good)] == [0]
