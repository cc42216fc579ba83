"""Configuration: file formats, environment overrides, and errors that name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ground_station.config import ConfigError, load_settings


def test_defaults_bind_loopback_and_derive_paths_from_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.http.host == "127.0.0.1"
    assert settings.http.port == 8000
    assert settings.region == "jesenik-nysa"
    assert settings.sqlite_path == tmp_path / "borderwatch.sqlite3"
    assert settings.tlog_dir == tmp_path / "tlogs"
    assert settings.jwt_secret_file == tmp_path / "jwt-secret"


def test_toml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(
        f"""
data_dir = "{tmp_path / "data"}"
region = "jesenik-nysa"
[http]
port = 8123
[organisation]
slug = "hzs-olomouc"
name = "HZS Olomouckého kraje"
country = "CZ"
[[vehicles]]
slug = "dji-hzs-1"
mavlink_url = "udpin://127.0.0.1:14540"
[[vehicles]]
slug = "sim-2"
mavlink_url = "udpin://127.0.0.1:14541"
organisation = "kmp-nysa"
""",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.http.port == 8123
    assert [v.slug for v in settings.vehicles] == ["dji-hzs-1", "sim-2"]
    assert settings.vehicle_organisation("dji-hzs-1") == "hzs-olomouc"
    assert settings.vehicle_organisation("sim-2") == "kmp-nysa"


def test_yaml_file_and_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "station.yaml"
    path.write_text("http:\n  port: 9000\n  host: 127.0.0.1\nregion: jesenik-nysa\n", encoding="utf-8")
    monkeypatch.setenv("BORDERWATCH_HTTP__PORT", "9100")
    monkeypatch.setenv("BORDERWATCH_DATA_DIR", str(tmp_path / "envdata"))
    settings = load_settings(path)
    assert settings.http.port == 9100
    assert settings.data_dir == tmp_path / "envdata"


def test_borderwatch_data_sets_the_default_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BORDERWATCH_DATA", str(tmp_path / "bwdata"))
    assert load_settings().data_dir == tmp_path / "bwdata"


def test_bad_field_is_named_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[vehicles]]\nslug = "Bad Slug"\nmavlink_url = "http://x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    text = str(info.value)
    assert str(path) in text
    assert "vehicles.0.slug" in text
    assert "vehicles.0.mavlink_url" in text


def test_duplicate_vehicle_slugs_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "vehicles:\n"
        "  - {slug: sim-1, mavlink_url: 'udpin://127.0.0.1:14540'}\n"
        "  - {slug: sim-1, mavlink_url: 'udpin://127.0.0.1:14541'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="duplicate vehicle slug 'sim-1'"):
        load_settings(path)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text("[http]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"http\.prot"):
        load_settings(path)


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("http:\n  port: [1, 2\nregion: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml: invalid YAML at line \d+"):
        load_settings(path)
    toml = tmp_path / "broken.toml"
    toml.write_text("[http\nport = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(toml)


def test_missing_and_unknown_format_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "absent.toml")
    other = tmp_path / "station.ini"
    other.write_text("[x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown config format"):
        load_settings(other)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    from ground_station.config import read_config_file

    path = tmp_path / "huge.yaml"
    path.write_text("a: " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="above the 1000 byte limit"):
        read_config_file(path, max_bytes=1000)
