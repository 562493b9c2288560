"""The kiosk's settings: a JSON file (the console's device QR code content will do), KIOSK_*
variables over it, and errors that name the setting."""

import json
from dataclasses import fields
from pathlib import Path

import pytest

from kiosk.__main__ import main
from kiosk.config import ENV_NAMES, ConfigError, KioskConfig, load_config

QR_CONTENT = {"backend_url": "http://10.1.2.3:8000", "device_code": "T-0001", "secret": "s3cret"}


def test_the_device_qr_code_content_plus_a_reader_is_a_whole_configuration(tmp_path):
    file = tmp_path / "kiosk.json"
    file.write_text(json.dumps({**QR_CONTENT, "card_reader": "serial:///dev/ttyUSB0?baud=9600"}))
    config = load_config({}, file)
    assert (config.backend_url, config.device_code, config.secret) == ("http://10.1.2.3:8000", "T-0001", "s3cret")
    assert config.card_reader == "serial:///dev/ttyUSB0?baud=9600" and config.printer == ""
    assert (config.port, config.online_deadline_ms, config.journal_path) == (
        8700,
        800,
        Path("var/kiosk/journal.sqlite3"),
    )


def test_environment_variables_win_over_the_file(tmp_path):
    file = tmp_path / "kiosk.json"
    file.write_text(json.dumps({**QR_CONTENT, "card_reader": "sim", "port": 8701}))
    config = load_config({"KIOSK_PORT": "9000", "KIOSK_DEVICE_SECRET": "from-env", "KIOSK_RETRY_SECONDS": "0.5"}, file)
    assert (config.port, config.secret, config.retry_seconds) == (9000, "from-env", 0.5)


def test_every_setting_is_read():
    """A field of KioskConfig that load_config did not read would be accepted and ignored."""
    given = {
        "backend_url": "http://10.1.2.3:8000",
        "device_code": "T-0009",
        "secret": "s3cret",
        "card_reader": "serial:///dev/ttyUSB1",
        "scanner": "wedge:///dev/input/event3",
        "printer": "escpos+tcp://192.168.1.50:9100",
        "data_dir": "/srv/kiosk",
        "host": "0.0.0.0",
        "port": "9001",
        "online_deadline_ms": "900",
        "heartbeat_seconds": "31.5",
        "retry_seconds": "4.5",
        "result_seconds": "5.5",
        "repeat_ignore_seconds": "3.5",
        "time_zone": "Asia/Urumqi",
        "mode": "gate",
        "relay": "modbus+tcp://10.0.0.9:502?coil=1",
    }
    assert set(given) == {f.name for f in fields(KioskConfig)}
    config = load_config({ENV_NAMES[name]: value for name, value in given.items()})
    assert {name: str(getattr(config, name)) for name in given} == given


def test_simulate_makes_every_device_a_simulator():
    env = {
        "KIOSK_BACKEND_URL": "http://127.0.0.1:8000",
        "KIOSK_DEVICE_CODE": "T-0001",
        "KIOSK_DEVICE_SECRET": "s",
        "KIOSK_CARD_READER": "serial:///dev/ttyUSB0",
    }
    config = load_config(env, simulate=True)
    assert (config.card_reader, config.scanner, config.printer) == ("sim", "sim", "sim")


@pytest.mark.parametrize(
    "env, problem",
    [
        ({}, "missing setting: backend_url (KIOSK_BACKEND_URL), device_code (KIOSK_DEVICE_CODE)"),
        ({"KIOSK_BACKEND_URL": "10.1.2.3:8000"}, "backend_url must start with http://"),
        ({"KIOSK_ONLINE_DEADLINE_MS": "fast"}, "online_deadline_ms (KIOSK_ONLINE_DEADLINE_MS) must be a number"),
        ({"KIOSK_TIME_ZONE": "Mars/Olympus"}, "time_zone is not a known time zone"),
    ],
)
def test_a_missing_or_wrong_setting_is_named(env, problem):
    base = {
        "KIOSK_BACKEND_URL": "http://h",
        "KIOSK_DEVICE_CODE": "T",
        "KIOSK_DEVICE_SECRET": "s",
        "KIOSK_CARD_READER": "sim",
    }
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        load_config(env if problem.startswith("missing") else {**base, **env})


def test_an_unknown_setting_in_the_file_is_refused(tmp_path):
    file = tmp_path / "kiosk.json"
    file.write_text(json.dumps({**QR_CONTENT, "card_readr": "sim"}))
    with pytest.raises(ConfigError, match="unknown setting in .*: card_readr"):
        load_config({}, file)


def test_the_command_exits_with_the_problem_for_a_device_that_does_not_exist(monkeypatch, capsys):
    for name, value in {
        "KIOSK_BACKEND_URL": "http://h",
        "KIOSK_DEVICE_CODE": "T",
        "KIOSK_DEVICE_SECRET": "s",
        "KIOSK_CARD_READER": "usb://reader",
    }.items():
        monkeypatch.setenv(name, value)
    assert main([]) == 2
    assert "names no card reader" in capsys.readouterr().err
