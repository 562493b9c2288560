"""The systemd units and example settings in deploy/: systemd accepts the units, each starts a
real command of this installation, and the example settings name only settings the code reads."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ENV_NAMES
from tests.helpers.environment import skip_or_fail

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SHIPPED_BIN = "/opt/houqin/venv/bin/"
# The scripts of the environment running the tests stand for the installed ones.
THIS_BIN = str(Path(sys.executable).parent) + "/"
SOURCES = [Path(__file__).resolve().parents[2] / package for package in ("backend", "hardware")]


def _instance_name(unit: Path) -> str:
    return unit.name.replace("@.service", "@8001.service")


def _exec_start(unit: Path) -> list[str]:
    line = re.search(r"^ExecStart=(.+)$", unit.read_text(), re.MULTILINE).group(1)
    return shlex.split(line.replace("%i", "8001").replace("%t", "/run").replace(SHIPPED_BIN, THIS_BIN))


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        skip_or_fail("systemd-analyze is not installed (it comes with the systemd package)")
    for unit in UNITS:
        (tmp_path / _instance_name(unit)).write_text(unit.read_text().replace(SHIPPED_BIN, THIS_BIN))

    verified = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())], capture_output=True, text=True
    )

    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == "", verified.stderr  # an unknown or misspelt directive is only a warning


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_unit_starts_a_command_of_this_installation(unit):
    command = _exec_start(unit)
    while command[0] == "/usr/bin/env" or "=" in command[0]:
        command = command[1:]

    helped = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)

    assert helped.returncode == 0, helped.stderr


def test_each_serve_instance_has_its_port_and_its_own_empty_metrics_directory():
    unit = DEPLOY / "systemd" / "houqin-serve@.service"
    text = unit.read_text()
    environment = dict(word.split("=", 1) for word in _exec_start(unit) if "=" in word)

    assert environment["PORT"] == "8001"
    assert re.search(r"^RuntimeDirectory=houqin-serve-%i$", text, re.MULTILINE)
    assert environment["PROMETHEUS_MULTIPROC_DIR"] == "/run/houqin-serve-8001"


def _example_names(example: str) -> set[str]:
    """Every variable an example file sets, or shows commented out as an option."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (DEPLOY / example).read_text(), re.MULTILINE))


def test_server_example_settings_are_all_read_by_the_code():
    code = "\n".join(p.read_text(encoding="utf-8") for source in SOURCES for p in source.rglob("*.py"))
    names = _example_names("houqin.env.example")

    assert {"DATABASE_URL", "REDIS_URL", "HOUQIN_DATA_KEY", "PROXIES_COUNT", "ENERGY_COLLECT_IN_WORKER"} <= names
    assert [name for name in sorted(names) if f'"{name}"' not in code] == []


def test_kiosk_example_settings_are_the_agents_own():
    names = _example_names("kiosk.env.example")

    assert {"KIOSK_BACKEND_URL", "KIOSK_DEVICE_CODE", "KIOSK_DEVICE_SECRET", "KIOSK_DATA_DIR"} <= names
    assert names <= set(ENV_NAMES.values())
