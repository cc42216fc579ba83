"""Ingest, recording and tickets on bad input: garbage, resolution changes, floods, stalls, dead sources,
corrupt JPEG, bad KLV and truncated recordings are logged, alerted and recovered from, and one stream's
trouble never touches another. Small pictures; every wait is on an event or a frame, with a deadline."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from geodata.sensors import FixedCamera
from geodata.terrain import FlatTerrain
from ground_station.bus.inprocess import InProcessBus
from ground_station.bus.messages import AlertKind, AlertMsg, AuditMsg, PositionMsg
from ground_station.config import CameraConfig, StationSettings, VideoConfig, VideoSourceConfig
from ground_station.video.av_reader import AvReadError, read_av
from ground_station.video.frames import DecodedFrame, ReceiverStats
from ground_station.video.ingest import (
    IngestStream,
    PoseSource,
    SensorBinding,
    SourceKind,
    StreamSource,
    StreamState,
    TelemetryPoses,
    VideoFrame,
)
from ground_station.video.klv import decode_st0601
from ground_station.video.mjpeg_client import read_mjpeg
from ground_station.video.recorder import (
    StreamRecorder,
    apply_retention,
    audit_deletions,
    list_recordings,
    recording_name,
)
from ground_station.video.rtp_receiver import RtpH264Receiver
from ground_station.video.sdp import H264SessionDescription
from ground_station.video.service import sources_from_settings
from ground_station.video.tickets import TicketBook, TicketError
from sim.camera.codec import H264Encoder
from sim.camera.klv import KlvPose, encode_uas_local_set
from sim.camera.mjpeg import format_part
from sim.camera.rtp_h264 import RtpH264Packetizer, insert_before_first_vcl, join_annexb
from sim.camera.sei import KLV_SEI_UUID, build_user_data_sei

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def _image(i: int, w: int = 320, h: int = 240) -> np.ndarray:
    base = np.zeros((h, w, 3), np.uint8)
    cv2.rectangle(base, (10 + 5 * i, 20), (60 + 5 * i, 90), (40, 200, 90), -1)
    cv2.putText(base, str(i), (w // 2, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    return base


def _klv(i: int) -> bytes:
    return encode_uas_local_set(
        KlvPose(
            T0 + timedelta(seconds=i / 10),
            90.0,
            0.0,
            0.0,
            50.2 + i * 1e-5,
            17.2,
            700.0,
            60.0,
            45.0,
            0.0,
            -90.0,
        )
    )


def _encoded(n: int, w: int = 320, h: int = 240, start: int = 0) -> list[list[bytes]]:
    """Access units (NAL lists) with KLV SEI, as a drone would send them."""
    encoder = H264Encoder(w, h, 10.0)
    units = []
    for i in range(start, start + n):
        for nals in encoder.encode(_image(i, w, h), i * 9000):
            units.append(insert_before_first_vcl(nals, build_user_data_sei(_klv(i), KLV_SEI_UUID)))
    return units


def _push(
    receiver: RtpH264Receiver, packetizer: RtpH264Packetizer, units: list[list[bytes]], ts0: int
) -> None:
    for k, nals in enumerate(units):
        for packet in packetizer.packetize(nals, ts0 + k * 9000):
            receiver.push_datagram(packet)


def _drain(receiver: RtpH264Receiver) -> list[DecodedFrame]:
    out = []
    while not receiver._units.empty():
        frame = receiver.decode_access_unit(receiver._units.get_nowait())
        if frame is not None:
            out.append(frame)
    return out


def test_rtp_survives_garbage_resolution_change_and_flood() -> None:
    receiver = RtpH264Receiver(H264SessionDescription("cam", "127.0.0.1", 5600, 96, 90000, None, None))
    packetizer = RtpH264Packetizer(77)
    _push(receiver, packetizer, _encoded(3), 0)
    for junk in (b"", b"\x80", b"\x80\x60\x00\x01" + b"\xff" * 40, bytes(range(256))):
        receiver.push_datagram(junk)  # garbage datagrams on the RTP port
    _push(receiver, packetizer, _encoded(3, 160, 120, start=3), 27000)  # new SPS/PPS + IDR at a new size
    frames = _drain(receiver)
    assert [f.image.shape[:2] for f in frames] == [(240, 320)] * 3 + [(120, 160)] * 3
    assert all(f.klv is not None for f in frames)
    assert receiver.stats.malformed == 4 and len(receiver.stats.errors) == 4
    # A flood (the consumer stops reading): the queue stays bounded, the oldest are dropped, and
    # decoding resumes cleanly at the next keyframe.
    _push(receiver, packetizer, _encoded(80, 160, 120, start=6), 100_000)
    assert receiver._units.qsize() == 30 and receiver.stats.skipped_access_units >= 50
    resumed = _drain(receiver)
    assert resumed and resumed[0].keyframe and resumed[0].image.shape[:2] == (120, 160)


def _frame(stream_id: str, seq: int, decoded: DecodedFrame, t: float) -> VideoFrame:
    from ground_station.video.ingest import SensorPose

    return VideoFrame(
        stream_id, seq, decoded.image, t, T0 + timedelta(seconds=t), SensorPose(PoseSource.KLV), decoded.klv,
        decoded.klv_packet, decoded.access_unit, decoded.keyframe,
    )  # fmt: skip


def _recorded(tmp_path: Path, sizes: list[tuple[int, int]], per_size: int = 10) -> StreamRecorder:
    receiver = RtpH264Receiver(H264SessionDescription("cam", "127.0.0.1", 5600, 96, 90000, None, None))
    packetizer = RtpH264Packetizer(5)
    recorder = StreamRecorder("cam-1", tmp_path / "cam-1", segment_s=3600)
    seq = 0
    for w, h in sizes:
        _push(receiver, packetizer, _encoded(per_size, w, h, start=seq), seq * 9000)
        for decoded in _drain(receiver):
            recorder.on_frame(_frame("cam-1", seq, decoded, seq / 10))
            seq += 1
    recorder.close()
    return recorder


def _ffprobe_streams(path: Path) -> list[tuple[str, str]]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return [(s["codec_type"], s["codec_name"]) for s in json.loads(probe.stdout)["streams"]]


async def test_recording_has_klv_data_stream_and_a_new_segment_per_resolution(tmp_path: Path) -> None:
    recorder = _recorded(tmp_path, [(320, 240), (160, 120)])
    assert len(recorder.segments) == 2 and recorder.errors == 0
    listed = list_recordings(tmp_path)
    assert [r.recording_id for r in listed] == [p.name for p in recorder.segments]
    for path, size in zip(recorder.segments, [(240, 320), (120, 160)], strict=True):
        if shutil.which("ffprobe"):
            assert _ffprobe_streams(path) == [("video", "h264"), ("data", "klv")]
        frames = [f async for f in read_av(str(path))]
        assert len(frames) == 10 and {f.image.shape[:2] for f in frames} == {size}
        lats = [f.klv.sensor_lat for f in frames if f.klv]
        assert len(lats) == 10 and lats == sorted(lats)  # each picture got its own KLV back


async def test_truncated_recording_plays_up_to_the_cut(tmp_path: Path) -> None:
    recorder = _recorded(tmp_path, [(320, 240)], per_size=20)
    path = recorder.segments[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10 + 77])  # mid-packet, as a crash would leave it
    stats = ReceiverStats()
    frames = [f async for f in read_av(str(path), stats=stats)]
    assert 3 <= len(frames) < 20
    assert all(f.klv is not None for f in frames)
    garbage = tmp_path / "cam-1" / recording_name("cam-1", T0)
    garbage.write_bytes(b"\x47" + b"\x00" * 500)
    with pytest.raises(AvReadError, match=r"cannot open|no video"):
        _ = [f async for f in read_av(str(garbage))]


async def test_corrupt_jpeg_part_is_skipped_and_the_stream_continues() -> None:
    good = cv2.imencode(".jpg", _image(1))[1].tobytes()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n")
        for body in (good, b"\xff\xd8 not really a jpeg", good):
            writer.write(format_part(body, {}, boundary="frame"))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stats = ReceiverStats()
    try:
        frames = [
            f async for f in read_mjpeg(f"http://127.0.0.1:{port}/stream.mjpg", max_frames=2, stats=stats)
        ]
    finally:
        server.close()
    assert len(frames) == 2 and stats.decode_errors == 1 and "not a decodable JPEG" in stats.errors[0]


class _Feed:
    """A fake source the test drives frame by frame; counts how often it was (re)opened."""

    def __init__(self, fail_first: int = 0) -> None:
        self.queue: asyncio.Queue[DecodedFrame] = asyncio.Queue()
        self.opened = 0
        self.fail_first = fail_first

    async def open(self, source: StreamSource, stats: ReceiverStats) -> AsyncIterator[DecodedFrame]:
        self.opened += 1
        if self.opened <= self.fail_first:
            raise ConnectionRefusedError(f"{source.url}: connection refused")
        while True:
            yield await self.queue.get()


def _decoded(i: int = 0, klv: bool = True, when: datetime | None = None) -> DecodedFrame:
    packet = _klv(i) if klv else None
    return DecodedFrame(
        image=_image(i, 64, 48),
        klv=decode_st0601(packet) if packet else None,
        klv_packet=packet,
        capture_time_utc=when or T0,
    )


async def _next_alert(subscription, timeout_s: float = 10.0) -> AlertMsg:  # type: ignore[no-untyped-def]
    _topic, msg = await asyncio.wait_for(anext(subscription), timeout_s)
    assert isinstance(msg, AlertMsg)
    return msg


async def test_stall_alerts_reconnects_and_clears_while_another_stream_flows() -> None:
    bus = InProcessBus()
    alerts = bus.subscribe("alert")
    stalling, flowing = _Feed(), _Feed()
    a = IngestStream(
        StreamSource("cam-a", SourceKind.RTP, "a.sdp", SensorBinding("cam-a", vehicle_id="sim-1")),
        bus=bus, telemetry=None, stall_timeout_s=0.3, opener=stalling.open, max_backoff_s=0.2,
    )  # fmt: skip
    b = IngestStream(
        StreamSource("cam-b", SourceKind.MJPEG, "http://b", SensorBinding("cam-b")),
        bus=bus, telemetry=None, stall_timeout_s=5.0, opener=flowing.open,
    )  # fmt: skip
    a.start()
    b.start()
    try:
        stalling.queue.put_nowait(_decoded(0))
        assert await a.next_frame(-1, 5.0) is not None and a.state is StreamState.LIVE
        alert = await _next_alert(alerts)  # nothing more arrives on cam-a: stalled
        assert alert.kind is AlertKind.VIDEO_STALLED and alert.active and alert.vehicle_id == "sim-1"
        assert alert.alert_id == "video-stalled-cam-a" and "cam-a" in alert.messages.cs
        assert a.state is StreamState.STALLED and a.stats.stalls >= 1
        for i in range(3):  # meanwhile cam-b is untouched
            flowing.queue.put_nowait(_decoded(i))
            assert await b.next_frame(i - 1, 5.0) is not None
        assert b.state is StreamState.LIVE
        stalling.queue.put_nowait(_decoded(1))
        cleared = await _next_alert(alerts)
        assert cleared.alert_id == alert.alert_id and not cleared.active
        assert a.state is StreamState.LIVE and stalling.opened >= 2  # it reconnected by itself
    finally:
        await a.stop()
        await b.stop()
        await bus.close()


async def test_dead_source_is_retried_and_reported() -> None:
    bus = InProcessBus()
    alerts = bus.subscribe("alert")
    feed = _Feed(fail_first=3)
    stream = IngestStream(
        StreamSource("cam-x", SourceKind.RTSP, "rtsp://127.0.0.1:1/x", SensorBinding("cam-x")),
        bus=bus, telemetry=None, stall_timeout_s=0.2, opener=feed.open, max_backoff_s=0.1,
    )  # fmt: skip
    stream.start()
    try:
        alert = await _next_alert(alerts)
        assert alert.active and "connection refused" in alert.message
        assert "connection refused" in (stream.stats.last_error or "")
        feed.queue.put_nowait(_decoded(0))
        assert await stream.next_frame(-1, 10.0) is not None
        assert not (await _next_alert(alerts)).active and feed.opened == 4
    finally:
        await stream.stop()
        await bus.close()


async def test_pose_from_klv_else_telemetry_by_time_else_none() -> None:
    bus = InProcessBus()
    telemetry = TelemetryPoses(bus)
    telemetry.add(
        PositionMsg(
            vehicle_id="sim-1", time_utc=T0 + timedelta(seconds=0.4), vehicle_time_ms=1, lon=17.3, lat=50.1,
            alt_amsl_m=650.0, alt_rel_m=200.0, vn_mps=0, ve_mps=0, vd_mps=0, heading_deg=45.0,
        )
    )  # fmt: skip
    feed = _Feed()
    stream = IngestStream(
        StreamSource("g", SourceKind.RTP, "g.sdp", SensorBinding("g", vehicle_id="sim-1")),
        bus=None, telemetry=telemetry, opener=feed.open,
    )  # fmt: skip
    stream.start()
    try:
        for i, frame in enumerate(
            [_decoded(0), _decoded(1, klv=False), _decoded(2, klv=False, when=T0 + timedelta(seconds=30))]
        ):
            feed.queue.put_nowait(frame)
            got = await stream.next_frame(i - 1, 5.0)
            assert got is not None
            if i == 0:
                assert got.pose.source is PoseSource.KLV and got.pose.lat == pytest.approx(50.2, abs=1e-6)
                assert got.pose.heading_deg == pytest.approx(90.0, abs=0.01)
            elif i == 1:
                assert got.pose.source is PoseSource.TELEMETRY and (got.pose.lon, got.pose.lat) == (
                    17.3,
                    50.1,
                )
            else:
                assert got.pose.source is PoseSource.NONE  # telemetry 30 s away is not this picture's
        assert stream.stats.pose_sources == {"klv": 1, "telemetry": 1, "none": 1}
    finally:
        await stream.stop()
        await bus.close()


def test_fixed_cameras_bind_to_region_sensors() -> None:
    pole = FixedCamera(
        id="jes-pole", name="Pole", organisation="jesenik", lon=17.2, lat=50.23, mount_height_agl_m=8.0,
        heading_deg=120.0, tilt_deg=10.0, hfov_deg=60.0, vfov_deg=34.0, max_range_m=500.0, width_px=1280,
        height_px=720,
    )  # fmt: skip
    region = SimpleNamespace(cameras=[pole], terrain=FlatTerrain(430.0))
    settings = StationSettings(
        cameras=[
            CameraConfig(id="jes-pole", stream_url="http://127.0.0.1:9/stream.mjpg"),
            CameraConfig(
                id="gimbal", kind="drone", stream_url="rtp://x", vehicle_slug="sim-1", sdp_path=Path("g.sdp")
            ),
        ],
        video=VideoConfig(enabled=True, sources=[VideoSourceConfig(id="replay", url="/tmp/x.ts")]),
    )
    sources = {s.stream_id: s for s in sources_from_settings(settings, region)}
    assert {k: s.kind for k, s in sources.items()} == {
        "jes-pole": SourceKind.MJPEG,
        "gimbal": SourceKind.RTP,
        "replay": SourceKind.FILE,
    }
    fixed = sources["jes-pole"].binding.fixed
    assert fixed is not None and fixed.alt_amsl_m == 438.0 and fixed.pitch_deg == -10.0
    assert sources["gimbal"].binding.kind == "gimbal" and sources["replay"].binding.kind == "fixed"


async def test_retention_deletes_old_raw_video_and_audits_it(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    folder = tmp_path / "cam-1"
    folder.mkdir()
    old = folder / recording_name("cam-1", now - timedelta(days=8))
    busy = folder / recording_name("cam-1", now - timedelta(days=9))
    fresh = folder / recording_name("cam-1", now - timedelta(days=1))
    for path in (old, busy, fresh):
        path.write_bytes(b"\x47" * 188)
    (folder / "notes.txt").write_text("not a recording")
    bus = InProcessBus()
    audit = bus.subscribe("audit")
    deleted = apply_retention(tmp_path, 7.0, now=now, busy={busy})
    audit_deletions(bus, deleted, 7.0)
    assert [d.path for d in deleted] == [old] and not old.exists() and busy.exists() and fresh.exists()
    _topic, msg = await asyncio.wait_for(anext(audit), 5)
    assert isinstance(msg, AuditMsg) and msg.action == "recording_deleted" and msg.target == old.name
    assert msg.detail["data_class"] == "raw_video" and msg.detail["retention_days"] == 7.0
    await bus.close()


def test_tickets_are_single_use_scoped_and_expire() -> None:
    book = TicketBook(ttl_s=30)
    ticket = book.issue("stream:a", "mjpeg", "alice")
    assert len(ticket.value) >= 40
    with pytest.raises(TicketError, match="not stream:b"):
        book.redeem(book.issue("stream:a", "mjpeg", "alice").value, "stream:b", "mjpeg")
    assert book.redeem(ticket.value, "stream:a", "mjpeg").user == "alice"
    with pytest.raises(TicketError, match="already used"):
        book.redeem(ticket.value, "stream:a", "mjpeg")
    with pytest.raises(TicketError, match="no stream ticket"):
        book.redeem(None, "stream:a", "mjpeg")
    expired = TicketBook(ttl_s=0.0).issue("stream:a", "mjpeg", "bob")
    short = TicketBook(ttl_s=0.0)
    short._tickets[expired.value] = expired
    with pytest.raises(TicketError, match="unknown or expired"):
        short.redeem(expired.value, "stream:a", "mjpeg")


def test_annexb_join_helper_is_consistent() -> None:
    nals = _encoded(1)[0]
    assert join_annexb(nals).count(b"\x00\x00\x00\x01") == len(nals)


async def test_a_replayed_file_is_ingested_with_its_klv_and_loops_without_alerts(tmp_path: Path) -> None:
    path = _recorded(tmp_path, [(160, 120)], per_size=6).segments[0]
    bus = InProcessBus()
    alerts = bus.subscribe("alert")
    stream = IngestStream(
        StreamSource("replay", SourceKind.FILE, str(path), SensorBinding("replay", vehicle_id="sim-1")),
        bus=bus, telemetry=None, stall_timeout_s=5.0,
    )  # fmt: skip
    stream.start()
    try:
        seen = -1
        for _ in range(9):  # more than the file holds: it played again
            frame = await stream.next_frame(seen, 20.0)
            assert frame is not None and frame.pose.source is PoseSource.KLV
            seen = frame.seq
        assert stream.stats.reconnects >= 1 and alerts.drain() == []
    finally:
        await stream.stop()
        await bus.close()


async def test_viewers_of_one_variant_share_one_encode() -> None:
    from ground_station.video.delivery import JpegVariant, Variant

    feed = _Feed()
    stream = IngestStream(
        StreamSource("s", SourceKind.MJPEG, "http://s", SensorBinding("s")), bus=None, telemetry=None,
        opener=feed.open,
    )  # fmt: skip
    stream.start()
    variant = JpegVariant(stream, Variant.ANNOTATED)
    first, second = variant.frames(), variant.frames()
    try:
        feed.queue.put_nowait(_decoded(0))
        a, b = await asyncio.wait_for(asyncio.gather(anext(first), anext(second)), 10)
        assert a is b and a.jpeg[:2] == b"\xff\xd8" and variant.viewers == 2
        feed.queue.put_nowait(_decoded(1))
        a, b = await asyncio.wait_for(asyncio.gather(anext(first), anext(second)), 10)
        assert a is b and a.seq == 1
        assert variant.encoded == 2  # two pictures, two viewers, two encodes (not four)
    finally:
        await first.aclose()  # type: ignore[attr-defined]
        await second.aclose()  # type: ignore[attr-defined]
        assert variant.viewers == 0 and variant._task is None  # the last viewer stopped the encoder
        await stream.stop()


async def test_a_decoding_backlog_jumps_to_the_newest_keyframe() -> None:
    receiver = RtpH264Receiver(H264SessionDescription("cam", "127.0.0.1", 5600, 96, 90000, None, None))
    _push(receiver, RtpH264Packetizer(9), _encoded(25, 160, 120), 0)  # keyframes at 0, 10 and 20
    assert receiver._units.qsize() == 25
    frames = receiver.frames()
    try:
        first = await asyncio.wait_for(anext(frames), 10)
        assert first.keyframe and first.klv is not None
        assert first.klv.sensor_lat == pytest.approx(50.2 + 20 * 1e-5, abs=1e-7)  # picture 20, not 0
        assert receiver.stats.skipped_access_units == 20 and receiver._units.qsize() == 4
    finally:
        await frames.aclose()  # type: ignore[attr-defined]


def test_klv_track_is_read_without_decoding_even_when_truncated(tmp_path: Path) -> None:
    from ground_station.video.av_reader import read_klv_track

    path = _recorded(tmp_path, [(160, 120)], per_size=12).segments[0]
    samples = read_klv_track(str(path), limit=100)
    assert len(samples) == 12 and [t for t, _ in samples] == sorted(t for t, _ in samples)  # type: ignore[type-var]
    assert samples[3][1].sensor_lat == pytest.approx(50.2 + 3 * 1e-5, abs=1e-7)
    assert len(read_klv_track(str(path), limit=5)) == 5
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 33])
    assert 1 <= len(read_klv_track(str(path), limit=100)) < 12


async def test_webrtc_viewers_of_one_variant_share_one_h264_encode() -> None:
    from ground_station.video.delivery import H264Variant, Variant

    feed = _Feed()
    stream = IngestStream(
        StreamSource("s", SourceKind.MJPEG, "http://s", SensorBinding("s")), bus=None, telemetry=None,
        opener=feed.open,
    )  # fmt: skip
    stream.start()
    shared = H264Variant(stream, Variant.ANNOTATED)
    shared.join()
    shared.join()
    try:
        for i in range(3):
            feed.queue.put_nowait(_decoded(i))
            unit = None
            while unit is None or unit.seq < i:
                unit = await shared.next_unit(i - 1, 10.0)
                assert unit is not None
            assert unit.annexb.startswith(b"\x00\x00\x00\x01") and (unit.keyframe or i > 0)
        assert shared.encoded == 3 and shared.viewers == 2  # three pictures, one encode each
        await shared.leave()
        assert shared._task is not None
        await shared.leave()
        assert shared._task is None  # the last viewer stopped the encoder
    finally:
        await shared.close()
        await stream.stop()
