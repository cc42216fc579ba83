"""What the demo asks of the service: the simulated cameras' video on, unless a config file decides."""

from __future__ import annotations

from pathlib import Path

from ground_station.demo import SimCamera, SimReady, SimVehicle, demo_settings

READY = SimReady(
    control_url="http://127.0.0.1:1",
    speed=1.0,
    vehicles=[SimVehicle(slug="sim-1", system_id=1, mavlink_url="udpin://127.0.0.1:14540")],
    cameras=[SimCamera(id="pole-1", kind="fixed", stream_url="http://127.0.0.1:8081/stream.mjpg")],
)


def test_the_demo_turns_video_on_for_its_cameras(tmp_path: Path) -> None:
    settings = demo_settings(READY, tmp_path, 8000)
    assert settings.video.enabled
    assert [c.id for c in settings.cameras] == ["pole-1"]


def test_no_cameras_no_video(tmp_path: Path) -> None:
    assert not demo_settings(READY.model_copy(update={"cameras": []}), tmp_path, 8000).video.enabled


def test_a_config_files_video_section_wins(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text("[video]\nenabled = false\n")
    assert not demo_settings(READY, tmp_path, 8000, config).video.enabled
