"""RTP/H.264 packetising, SEI metadata and SDP: round trips, and malformed input giving clear errors."""

from __future__ import annotations

import dataclasses
import struct
import uuid
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from ground_station.video.h264 import H264Decoder, VideoDecodeError
from ground_station.video.rtp import AccessUnit, RtpFormatError, RtpH264Depacketizer, parse_rtp, split_annexb
from ground_station.video.rtp_receiver import RtpH264Receiver
from ground_station.video.sdp import H264SessionDescription as StationSdp
from ground_station.video.sdp import SdpError, parse_sdp, read_sdp
from ground_station.video.sei import SeiError, iter_user_data, unescape_rbsp, user_data_of
from sim.camera.codec import H264Encoder
from sim.camera.klv import KlvPose, encode_uas_local_set
from sim.camera.metadata import CameraPoseMeta, FrameMetadata, GroundTruthBox, MetadataError
from sim.camera.rtp_h264 import RtpH264Packetizer, insert_before_first_vcl
from sim.camera.sdp import H264SessionDescription, build_sdp
from sim.camera.sei import BORDERWATCH_SEI_UUID, KLV_SEI_UUID, build_user_data_sei, escape_rbsp
from sim.scene import GroundObjectKind
from tests.sim.camera.truth import truth_of, truth_of_access_unit


def _metadata(seq: int) -> FrameMetadata:
    return FrameMetadata(
        camera_id="drone-cam",
        seq=seq,
        capture_time_utc=datetime(2026, 11, 25, 12, 0, seq, tzinfo=UTC),
        sim_time_s=seq / 30,
        width=320,
        height=180,
        pose=CameraPoseMeta(
            lon=17.25,
            lat=50.3,
            alt_amsl_m=540.0,
            heading_deg=10.0,
            pitch_deg=-90.0,
            roll_deg=0.0,
            hfov_deg=70.0,
            vfov_deg=43.0,
        ),
        ground_elevation_amsl_m=420.0,
        terrain_known=True,
        objects=[
            GroundTruthBox(
                object_id="p1", kind=GroundObjectKind.PERSON, x0=1, y0=2, x1=5, y1=9, distance_m=120.0
            )
        ],
    )


def _frames(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    coarse = rng.integers(0, 255, size=(18, 32, 3), dtype=np.uint8)
    base = cv2.resize(coarse, (320, 180), interpolation=cv2.INTER_CUBIC)  # smooth, like a real picture
    return [np.roll(base, 16 * i, axis=1) for i in range(n)]


def test_sei_escaping_and_user_data_round_trip() -> None:
    payload = b'{"a": 1}' + bytes([0, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 2]) + b"x" * 300  # size needs 0xFF coding
    nal = build_user_data_sei(payload)
    assert b"\x00\x00\x00" not in nal and b"\x00\x00\x01" not in nal and b"\x00\x00\x02" not in nal
    assert list(iter_user_data(nal)) == [(BORDERWATCH_SEI_UUID, payload)]
    data = bytes(range(256)) * 3 + b"\x00\x00\x00\x00\x03"
    assert unescape_rbsp(escape_rbsp(data)) == data
    other_uuid = uuid.uuid4()
    other = build_user_data_sei(b"x264 - core 164", sei_uuid=other_uuid)
    assert user_data_of([other, nal]) == [(other_uuid, b"x264 - core 164"), (BORDERWATCH_SEI_UUID, payload)]
    assert user_data_of([b"\x65\x88"]) == []


def test_truncated_and_garbage_sei_raise_clear_errors() -> None:
    nal = build_user_data_sei(b'{"seq": 1}')
    with pytest.raises(SeiError, match="runs past the NAL end"):
        list(iter_user_data(nal[:12]))
    with pytest.raises(SeiError, match="shorter than its 16-byte UUID"):
        list(iter_user_data(bytes([6, 5, 4, 1, 2, 3, 4, 0x80])))
    with pytest.raises(SeiError, match="not a SEI NAL"):
        list(iter_user_data(b"\x65\x88"))
    with pytest.raises(SeiError, match="truncated"):
        list(iter_user_data(bytes([6, 0xFF, 0xFF])))


def test_encoded_stream_round_trips_through_rtp_with_metadata() -> None:
    encoder = H264Encoder(320, 180, 30.0)
    packetizer = RtpH264Packetizer(0xABCDEF01, max_payload=300, initial_sequence=65530)  # wraps the sequence
    depacketizer = RtpH264Depacketizer(payload_type=96)
    decoder = H264Decoder()
    decoded = []
    for i, image in enumerate(_frames(6)):
        for nals in encoder.encode(image, i * 3000):
            nals = insert_before_first_vcl(nals, build_user_data_sei(_metadata(i).to_json_bytes()))
            packets = packetizer.packetize(nals, 1000 + i * 3000)
            assert all(len(p) <= 312 for p in packets)
            assert sum(1 for p in packets if parse_rtp(p)[0].marker) == 1
            for packet in packets:
                for au in depacketizer.push(packet):
                    assert au.complete
                    meta = truth_of_access_unit(au)
                    assert meta == _metadata(i)
                    assert meta is not None
                    decoded.extend((meta.seq, img) for img in decoder.decode(au.annexb()))
    assert [seq for seq, _ in decoded] == list(range(6))
    originals = _frames(6)
    for seq, image in decoded:
        assert image.shape == (180, 320, 3)
        errors = [np.abs(image.astype(int) - original).mean() for original in originals]
        assert errors[seq] < 12 and int(np.argmin(errors)) == seq  # lossy, but this very picture
    assert depacketizer.stats.lost == 0 and depacketizer.stats.access_units == 6


def test_first_access_unit_is_an_idr_with_parameter_sets() -> None:
    nals = H264Encoder(320, 180, 30.0).encode(_frames(1)[0], 0)[0]
    types = [n[0] & 0x1F for n in nals]
    assert 7 in types and 8 in types and 5 in types
    with_sei = insert_before_first_vcl(nals, build_user_data_sei(b"{}"))
    sei_at = [n[0] & 0x1F for n in with_sei].index(6, types.index(8))
    assert sei_at < [n[0] & 0x1F for n in with_sei].index(5)


def test_malformed_rtp_gives_clear_errors_not_crashes() -> None:
    dep = RtpH264Depacketizer(payload_type=96)
    seq = iter(range(100, 200))

    def header_() -> bytes:  # consecutive sequence numbers: a repeated one would be dropped as a duplicate
        return struct.pack("!BBHII", 0x80, 96, next(seq), 1000, 42)

    cases = [
        (b"\x80\x60\x00", "shorter than the 12-byte header"),
        (struct.pack("!BBHII", 0x40, 96, 1, 1000, 42) + b"\x65", "RTP version 1"),
        (struct.pack("!BBHII", 0x80, 97, 1, 1000, 42) + b"\x65", "payload type 97, expected 96"),
        (struct.pack("!BBHII", 0x8F, 96, 1, 1000, 42) + b"\x65", "exceeds the packet"),
        (struct.pack("!BBHII", 0xA0, 96, 1, 1000, 42) + b"\x65\x09", "padding length 9"),
        (header_(), "without payload"),
        (header_() + bytes([0x1E, 1, 2]), "unsupported H.264 RTP payload NAL type 30"),
        (header_() + bytes([0x7C, 0x05, 1, 2]), "FU-A continuation without its start fragment"),
        (header_() + bytes([0x7C, 0xC5, 1]), "both start and end"),
        (header_() + bytes([0x78, 0x00, 0x09, 0x67]), "STAP-A NAL of 9 bytes"),
        (header_() + bytes([0xE5, 1]), "forbidden_zero_bit"),
    ]
    for datagram, message in cases:
        with pytest.raises(RtpFormatError, match=message):
            dep.push(datagram)
    assert dep.stats.malformed == len(cases)


def test_packet_loss_marks_the_access_unit_incomplete() -> None:
    packetizer = RtpH264Packetizer(7, max_payload=100)
    big_nal = bytes([0x65]) + bytes(range(1, 251)) * 2
    packets = packetizer.packetize([bytes([0x09, 0xF0]), big_nal], 9000)
    dep = RtpH264Depacketizer()
    units: list[AccessUnit] = []
    for i, packet in enumerate(packets):
        if i == 2:
            continue  # lost
        units += dep.push(packet)
    assert len(units) == 1 and not units[0].complete
    assert dep.stats.lost == 1 and dep.stats.dropped_access_units == 1
    # The next picture is fine again.
    units = []
    for packet in packetizer.packetize([bytes([0x09, 0xF0]), big_nal], 12000):
        units += dep.push(packet)
    assert units[0].complete and units[0].nals[1] == big_nal


def _klv(seq: int) -> bytes:
    return encode_uas_local_set(
        KlvPose(
            time_utc=datetime(2026, 5, 1, 10, 0, seq, tzinfo=UTC),
            platform_heading_deg=10.0,
            platform_pitch_deg=1.0,
            platform_roll_deg=-2.0,
            lat=50.25,
            lon=17.2,
            alt_amsl_m=600.0,
            hfov_deg=70.0,
            vfov_deg=40.0,
            gimbal_rel_azimuth_deg=0.0,
            gimbal_rel_elevation_deg=-90.0,
        )
    )


def test_receiver_survives_garbage_nal_and_bad_klv() -> None:
    session = StationSdp("x", "127.0.0.1", 5600, 96, 90000, None, None)
    receiver = RtpH264Receiver(session)
    packetizer = RtpH264Packetizer(1)
    encoder = H264Encoder(320, 180, 30.0)
    frames = _frames(3)
    bad_klv = bytearray(_klv(0))
    bad_klv[-1] ^= 0x5A  # checksum no longer matches
    # 1: an IDR whose KLV has a bad checksum; 2: garbage slice data; 3: a good frame with good KLV.
    first = insert_before_first_vcl(
        encoder.encode(frames[0], 0)[0], build_user_data_sei(bytes(bad_klv), KLV_SEI_UUID)
    )
    garbage = [bytes([0x65]) + bytes(np.random.default_rng(1).integers(0, 255, 400, dtype=np.uint8))]
    encoder.request_keyframe()  # after a broken picture a receiver waits for the next IDR
    third = insert_before_first_vcl(
        insert_before_first_vcl(
            encoder.encode(frames[1], 3000)[0], build_user_data_sei(_klv(2), KLV_SEI_UUID)
        ),
        build_user_data_sei(_metadata(2).to_json_bytes()),
    )
    results = []
    for ts, nals in ((0, first), (3000, garbage), (6000, third)):
        for packet in packetizer.packetize(nals, ts):
            receiver.push_datagram(packet)
        receiver.push_datagram(b"\x00garbage")
    while not receiver._units.empty():
        results.append(receiver.decode_access_unit(receiver._units.get_nowait()))
    good = [r for r in results if r is not None]
    assert len(results) == 3 and len(good) == 2
    assert good[0].klv is None and good[0].keyframe
    assert good[1].klv is not None and good[1].klv.sensor_lat == pytest.approx(50.25, abs=1e-6)
    assert truth_of(good[1]) == _metadata(2)
    assert receiver.stats.malformed == 3 and receiver.stats.klv_errors == 1
    assert any("checksum" in e for e in receiver.stats.errors), receiver.stats.errors


def test_decoder_rejects_garbage_with_a_clear_error() -> None:
    decoder = H264Decoder()
    try:
        out = decoder.decode(b"\x00\x00\x00\x01\x67" + b"\xff" * 50)
    except VideoDecodeError as exc:
        assert "H.264 decoder rejected" in str(exc)
    else:
        assert out == []  # FFmpeg may also just swallow it: never a crash, never a picture


def test_metadata_errors_name_the_field() -> None:
    good = _metadata(3).to_json_bytes()
    with pytest.raises(MetadataError, match=r"objects\.0\.x0"):
        FrameMetadata.from_json_bytes(good.replace(b'"x0":1', b'"x0":"left"'))
    with pytest.raises(MetadataError, match="exceeds"):
        FrameMetadata.from_json_bytes(b" " * (300 * 1024))
    with pytest.raises(MetadataError, match="invalid"):
        FrameMetadata.from_json_bytes(b"{not json")


def test_annexb_split() -> None:
    assert split_annexb(b"\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce\x00\x00\x00\x01\x65\x88\x00") == [
        b"\x67\x42",
        b"\x68\xce",
        b"\x65\x88",
    ]
    with pytest.raises(RtpFormatError, match="no Annex B start code"):
        split_annexb(b"\x65\x88")


def test_sdp_round_trip_and_errors(tmp_path: Path) -> None:
    desc = H264SessionDescription("cam-1", "127.0.0.1", 5600, 96, 90000, "127.0.0.1", 40000, framerate=30.0)
    text = build_sdp(desc)
    assert "m=video 5600 RTP/AVP 96" in text and "a=rtpmap:96 H264/90000" in text
    assert dataclasses.asdict(parse_sdp(text)) == dataclasses.asdict(desc)
    path = tmp_path / "cam.sdp"
    path.write_text(text)
    assert dataclasses.asdict(read_sdp(path)) == dataclasses.asdict(desc)
    with pytest.raises(SdpError, match="line 2"):
        parse_sdp("v=0\nthis is not sdp\n")
    with pytest.raises(SdpError, match="no 'm=video"):
        parse_sdp("v=0\nc=IN IP4 127.0.0.1\n")
    with pytest.raises(SdpError, match="codec 'VP8'"):
        parse_sdp("v=0\nm=video 5600 RTP/AVP 96\na=rtpmap:96 VP8/90000\n")
    with pytest.raises(SdpError, match="out of range"):
        parse_sdp("v=0\nm=video 70000 RTP/AVP 96\na=rtpmap:96 H264/90000\n")
    with pytest.raises(SdpError, match="cannot read"):
        read_sdp(tmp_path / "missing.sdp")
    (tmp_path / "bin.sdp").write_bytes(b"v=0\n\xff\xfe")
    with pytest.raises(SdpError, match="not ASCII"):
        read_sdp(tmp_path / "bin.sdp")
