"""MISB ST 0601: the station's reader against hand-built packets, the simulator's independent writer,
and every kind of broken packet giving a clear error."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from ground_station.video.klv import (
    ST0601_KEY,
    KlvChecksumError,
    KlvError,
    UasDatalinkSample,
    ber_length,
    decode_st0601,
    encode_st0601,
    find_st0601,
    read_ber_length,
    running_sum_16,
)
from sim.camera.klv import KlvPose, encode_uas_local_set, frame_center

WHEN = datetime(2026, 5, 1, 10, 30, 15, 123456, tzinfo=UTC)


def _sample() -> UasDatalinkSample:
    return UasDatalinkSample(
        precision_time_utc=WHEN,
        platform_heading_deg=359.9,
        platform_pitch_deg=-3.5,
        platform_roll_deg=12.25,
        sensor_lat=50.2345678,
        sensor_lon=17.1234567,
        sensor_alt_amsl_m=812.4,
        hfov_deg=70.0,
        vfov_deg=42.5,
        sensor_rel_azimuth_deg=15.0,
        sensor_rel_elevation_deg=-60.0,
        sensor_rel_roll_deg=0.0,
        frame_center_lat=50.236,
        frame_center_lon=17.125,
        frame_center_elev_amsl_m=420.0,
        ls_version=19,
    )


def test_hand_computed_mappings() -> None:
    """Values worked out by hand from the ST 0601 formulas, independent of the codec."""
    packet = encode_st0601(
        UasDatalinkSample(precision_time_utc=WHEN, platform_heading_deg=180.0, sensor_lat=45.0)
    )
    assert packet.startswith(ST0601_KEY)
    # tag 2: microseconds since 1970 as uint64, first item
    micros = int((WHEN - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1e6)
    assert packet[17:27] == bytes([2, 8]) + struct.pack(">Q", micros)
    # tag 5: 180 deg -> round(180 * 65535 / 360) = 32768 (0x8000)
    assert bytes([5, 2, 0x80, 0x00]) in packet
    # tag 13: 45 deg -> round(45 * 4294967294 / 180) = 1073741824 (0x40000000)
    assert bytes([13, 4, 0x40, 0x00, 0x00, 0x00]) in packet
    # tag 65 version, then the checksum item last: running sum over everything before its value
    assert packet[-7:-4] == bytes([65, 1, 19])
    assert packet[-4:-2] == b"\x01\x02"
    assert struct.unpack(">H", packet[-2:])[0] == running_sum_16(packet[:-2])


def test_running_sum_is_big_endian_word_sum() -> None:
    assert running_sum_16(b"\x01\x02\x03") == 0x0102 + 0x0300
    assert running_sum_16(b"\xff\xff\x00\x02") == 0x0001  # wraps mod 2^16


def test_round_trip_within_quantisation() -> None:
    sample = _sample()
    back = decode_st0601(encode_st0601(sample))
    assert back.precision_time_utc == WHEN
    assert back.platform_heading_deg == pytest.approx(359.9, abs=360 / 65535)
    assert back.platform_pitch_deg == pytest.approx(-3.5, abs=40 / 65534)
    assert back.platform_roll_deg == pytest.approx(12.25, abs=100 / 65534)
    assert back.sensor_lat == pytest.approx(50.2345678, abs=1e-7)
    assert back.sensor_lon == pytest.approx(17.1234567, abs=1e-7)
    assert back.sensor_alt_amsl_m == pytest.approx(812.4, abs=0.31)
    assert back.hfov_deg == pytest.approx(70.0, abs=0.003) and back.vfov_deg == pytest.approx(42.5, abs=0.003)
    assert back.sensor_rel_azimuth_deg == pytest.approx(15.0, abs=1e-6)
    assert back.sensor_rel_elevation_deg == pytest.approx(-60.0, abs=1e-6)
    assert back.frame_center_lat == pytest.approx(50.236, abs=1e-7)
    assert back.frame_center_elev_amsl_m == pytest.approx(420.0, abs=0.31)
    assert back.ls_version == 19


def test_simulator_writer_and_station_reader_agree() -> None:
    """Two independent implementations of the standard: the drone side and the station side."""
    centre = frame_center(50.2, 17.1, 800.0, 90.0, -45.0, 400.0)
    assert centre is not None and centre[0] == pytest.approx(50.2, abs=1e-9) and centre[1] > 17.1
    packet = encode_uas_local_set(
        KlvPose(
            time_utc=WHEN,
            platform_heading_deg=-10.0,  # wraps to 350
            platform_pitch_deg=25.0,  # beyond +-20: "out of range" marker
            platform_roll_deg=-4.0,
            lat=50.2,
            lon=17.1,
            alt_amsl_m=800.0,
            hfov_deg=60.0,
            vfov_deg=34.0,
            gimbal_rel_azimuth_deg=100.0,
            gimbal_rel_elevation_deg=-45.0,
            frame_center_lat=centre[0],
            frame_center_lon=centre[1],
            frame_center_elev_amsl_m=400.0,
        )
    )
    back = decode_st0601(packet)
    assert back.platform_heading_deg == pytest.approx(350.0, abs=0.006)
    assert back.platform_pitch_deg is None
    assert back.platform_roll_deg == pytest.approx(-4.0, abs=0.002)
    assert (back.sensor_lat, back.sensor_lon) == (
        pytest.approx(50.2, abs=1e-7),
        pytest.approx(17.1, abs=1e-7),
    )
    assert back.frame_center_lon == pytest.approx(centre[1], abs=1e-7)
    assert back.sensor_rel_azimuth_deg == pytest.approx(100.0, abs=1e-6)
    assert back.ls_version == 19


def test_unknown_tags_are_skipped_and_long_ber_lengths_read() -> None:
    sample = UasDatalinkSample(precision_time_utc=WHEN, sensor_lat=10.0)
    packet = encode_st0601(sample)
    body = packet[17:-4]
    body += bytes([3]) + ber_length(200) + b"m" * 200  # tag 3 mission id, unknown to us, long form length
    head = ST0601_KEY + ber_length(len(body) + 4) + body + b"\x01\x02"
    long_packet = head + struct.pack(">H", running_sum_16(head))
    assert ber_length(len(body) + 4)[0] == 0x81  # long form, one length byte
    assert decode_st0601(long_packet).sensor_lat == pytest.approx(10.0)
    assert read_ber_length(b"\x81\xc8", 0) == (200, 2)


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda p: p[:-1] + bytes([p[-1] ^ 1]), KlvChecksumError, "checksum"),
        (lambda p: p[:30] + bytes([p[30] ^ 0x40]) + p[31:], KlvChecksumError, "checksum"),
        (lambda p: p[:-4], KlvError, "declares"),
        (lambda p: b"\x06\x0e\x2b\x34" + b"\x00" * 12 + p[16:], KlvError, "not an ST 0601 packet"),
        (lambda p: ST0601_KEY + b"\x80" + p[17:], KlvError, "indefinite refused"),
        (lambda p: ST0601_KEY + b"\x8a", KlvError, "uses 10 bytes"),
        (lambda p: p + b"\x00" * 70000, KlvError, "exceeds"),
    ],
)
def test_broken_packets_are_refused_with_clear_errors(mutate, error, message) -> None:  # type: ignore[no-untyped-def]
    packet = encode_st0601(_sample())
    with pytest.raises(error, match=message):
        decode_st0601(mutate(packet))


def test_missing_checksum_and_item_overrun() -> None:
    body = bytes([2, 8]) + b"\x00" * 8
    with pytest.raises(KlvError, match="no checksum"):
        decode_st0601(ST0601_KEY + ber_length(len(body)) + body)
    overrun = bytes([13, 20, 0, 0])
    with pytest.raises(KlvError, match="runs past"):
        decode_st0601(ST0601_KEY + ber_length(len(overrun)) + overrun)
    errors: list[str] = []
    assert find_st0601(b"x264 core", errors.append) is None and not errors
    bad = bytearray(encode_st0601(_sample()))
    bad[-1] ^= 0xFF
    assert find_st0601(bytes(bad), errors.append) is None and "checksum" in errors[0]
