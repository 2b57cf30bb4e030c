"""The settings: read from the environment and flags, validated at start-up; the session-signing key."""

import errno
import os
import stat
import subprocess
import sys

import pytest

from web.config import MIN_SECRET_CHARS, Config, ConfigError


def serve(data_dir, **env) -> subprocess.CompletedProcess:
    """``markscan serve`` on ``data_dir`` with ``env`` added, as a person would start it."""
    return subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--data", str(data_dir), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_a_new_key_is_made_once_long_and_private(tmp_path):
    config = Config(data_dir=tmp_path)
    key = config.secret_key()
    assert len(key) >= MIN_SECRET_CHARS
    assert config.secret_key() == key
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


@pytest.mark.parametrize("content", ["", "\n", "short-key"])
def test_an_empty_or_short_key_file_is_refused(tmp_path, content):
    (tmp_path / "secret.key").write_text(content)
    with pytest.raises(ConfigError, match="delete the file"):
        Config(data_dir=tmp_path).secret_key()


def test_a_key_write_cut_off_by_a_full_disk_leaves_no_key_file(tmp_path, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        Config(data_dir=tmp_path).secret_key()
    assert list(tmp_path.iterdir()) == []  # no empty key for the next start to accept
    monkeypatch.undo()
    assert len(Config(data_dir=tmp_path).secret_key()) >= MIN_SECRET_CHARS


def test_serve_refuses_to_start_on_an_empty_key(tmp_path):
    (tmp_path / "secret.key").write_text("")
    done = serve(tmp_path)
    assert done.returncode == 2
    assert "secret.key holds no usable key" in done.stderr


def test_an_unknown_time_zone_is_refused_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="not a time zone"):
        Config(data_dir=tmp_path, timezone="Mars/Olympus").check()
    Config(data_dir=tmp_path, timezone="Europe/Moscow").check()


def test_a_backend_that_cannot_run_is_refused_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="one of onnx, torch"):
        Config(data_dir=tmp_path, backend="tensorrt").check()
    with pytest.raises(ConfigError, match="MARKSCAN_BACKEND=torch with MARKSCAN_DEVICE=cuda"):
        Config(data_dir=tmp_path, device="cuda").check()
    Config(data_dir=tmp_path).check()


def test_serve_refuses_an_unknown_backend_with_what_to_do(tmp_path):
    done = serve(tmp_path, MARKSCAN_BACKEND="tensorrt")
    assert done.returncode == 2
    assert "MARKSCAN_BACKEND='tensorrt': use one of onnx, torch" in done.stderr


def test_times_are_shown_on_the_plants_clock():
    from web.pages import local_time

    assert local_time("2026-11-27T10:05:00.000+00:00", "Europe/Moscow") == "2026-11-27 13:05"
    assert local_time("2026-11-27T10:05:00.000+00:00", "Asia/Yekaterinburg") == "2026-11-27 15:05"


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "деталь"),
        (2, "детали"),
        (4, "детали"),
        (5, "деталей"),
        (11, "деталей"),
        (12, "деталей"),
        (21, "деталь"),
        (22, "детали"),
        (111, "деталей"),
    ],
)
def test_russian_plural_forms(n, word):
    from web.i18n import counted

    assert counted("ru")(n, ("деталь", "детали", "деталей"), ("part", "parts")) == f"{n} {word}"
    assert (
        counted("en")(n, ("деталь", "детали", "деталей"), ("part", "parts")) == f"{n} {'part' if n == 1 else 'parts'}"
    )


def test_a_setting_that_cannot_be_read_stops_the_start_with_one_line_naming_it(tmp_path):
    done = serve(tmp_path, MARKSCAN_WORKERS="abc")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "MARKSCAN_WORKERS='abc'" in done.stderr
    assert "Traceback" not in done.stderr


def test_flags_override_the_environment_and_values_are_typed(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKSCAN_WORKERS", "5")
    monkeypatch.setenv("MARKSCAN_DATA", str(tmp_path / "from-env"))
    monkeypatch.setenv("MARKSCAN_SECURE_COOKIES", "yes")
    monkeypatch.setenv("MARKSCAN_MAX_UPLOAD_MB", "3")
    config = Config.from_env(workers=2, data_dir=None)
    assert config.workers == 2 and config.data_dir == tmp_path / "from-env"
    assert config.secure_cookies is True and config.max_upload_bytes == 3 * 1024 * 1024
    monkeypatch.setenv("MARKSCAN_WORKERS", "0")
    with pytest.raises(ConfigError, match="MARKSCAN_WORKERS='0'"):
        Config.from_env()


def test_the_1c_link_comes_from_the_settings_and_onec_json(monkeypatch, tmp_path):
    assert Config(data_dir=tmp_path).onec() is None
    monkeypatch.setenv("MARKSCAN_ONEC_URL", "http://1c.plant.local/odata/standard.odata")
    monkeypatch.setenv("MARKSCAN_ONEC_USER", "markscan")
    monkeypatch.setenv("MARKSCAN_ONEC_PASSWORD", "s3cret")
    (tmp_path / "onec.json").write_text('{"orders_set": "Catalog_Parts", "order_fields": {"serial": "Number"}}')
    config = Config.from_env(data_dir=tmp_path)
    assert "s3cret" not in repr(config)
    link = config.onec()
    assert (link.root, link.user, link.password, link.orders_set) == (
        "http://1c.plant.local/odata/standard.odata",
        "markscan",
        "s3cret",
        "Catalog_Parts",
    )
    assert link.order_fields["serial"] == "Number" and link.order_fields["article"] == "ДетальАртикул"
    (tmp_path / "onec.json").write_text('{"no such field": 1}')
    with pytest.raises(ConfigError, match="onec.json"):
        config.onec()
