"""The .tlog format: written by us, read back by pymavlink and by our streaming reader."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import common

from ground_station.tlog import TlogError, TlogWriter, iter_tlog


def _frames(n: int) -> list[bytes]:
    mav = common.MAVLink(None, srcSystem=1, srcComponent=1)
    gcs = common.MAVLink(None, srcSystem=255, srcComponent=190)
    out = []
    for i in range(n):
        out.append(
            bytes(
                mav.global_position_int_encode(i, 502290000 + i, 172050000, 430000, i, 0, 0, 0, 0).pack(mav)
            )
        )
        out.append(bytes(gcs.heartbeat_encode(6, 8, 0, 0, 4).pack(gcs)))
    return out


def test_written_tlog_reads_back_with_pymavlink(tmp_path: Path) -> None:
    path = tmp_path / "flight.tlog"
    writer = TlogWriter(path)
    frames = _frames(50)
    t0 = 1_795_619_262_444_500
    for i, frame in enumerate(frames):
        writer.write(t0 + i * 20_000, frame)
    writer.close()
    records = list(iter_tlog(path))
    assert [r.frame for r in records] == frames
    assert records[1].time_us == t0 + 20_000

    log = mavutil.mavlink_connection(str(path), dialect="common")
    got = []
    while (msg := log.recv_match()) is not None:
        got.append((msg.get_type(), msg.get_srcSystem(), round(msg._timestamp, 2)))
    assert len(got) == 100
    assert got[0] == ("GLOBAL_POSITION_INT", 1, round(t0 / 1e6, 2))
    assert got[1][:2] == ("HEARTBEAT", 255)  # both directions in one file


def test_truncated_last_record_keeps_everything_before(tmp_path: Path) -> None:
    path = tmp_path / "killed.tlog"
    writer = TlogWriter(path)
    for i, frame in enumerate(_frames(3)):
        writer.write(i, frame)
    writer.close()
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    assert len(list(iter_tlog(path))) == 5


def test_corrupt_and_oversized_tlogs_are_refused_with_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.tlog"
    path.write_bytes(b"\x00" * 8 + b"\x42" * 20)
    with pytest.raises(TlogError, match="byte 8"):
        list(iter_tlog(path))
    big = tmp_path / "big.tlog"
    big.write_bytes(b"\x00" * 2000)
    with pytest.raises(TlogError, match="limit"):
        list(iter_tlog(big, max_bytes=1000))


def test_reference_px4_tlog_streams_without_loss(shared_data: Path) -> None:
    path = shared_data / "flightlogs" / "px4_sitl" / "px4_sih_gcs_link_idle.tlog"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    records = list(iter_tlog(path))
    assert len(records) == 10_772  # the README's frame count for this capture
    assert all(b.time_us >= a.time_us for a, b in itertools.pairwise(records))
