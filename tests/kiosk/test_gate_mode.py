"""Gate mode's settings, and the terminal's refusals worded as the backend words them."""

import pytest

from backend.access.errors import AccessError
from kiosk.config import ConfigError, load_config
from kiosk.gate_pass import REASONS

BASE = {"KIOSK_BACKEND_URL": "http://10.0.0.1:8000", "KIOSK_DEVICE_CODE": "GT-1", "KIOSK_DEVICE_SECRET": "s"}


def test_each_offline_refusal_has_the_backends_code_and_words():
    backend = {e.code: e.message for e in AccessError}
    assert {code: backend.get(code) for code in REASONS} == REASONS


def test_gate_mode_needs_a_scanner_and_a_relay():
    with pytest.raises(ConfigError, match=r"scanner \(KIOSK_SCANNER\), relay \(KIOSK_RELAY\)"):
        load_config({**BASE, "KIOSK_MODE": "gate", "KIOSK_CARD_READER": "sim"})
    config = load_config(
        {
            **BASE,
            "KIOSK_MODE": "gate",
            "KIOSK_CARD_READER": "sim",
            "KIOSK_SCANNER": "sim",
            "KIOSK_RELAY": "modbus+tcp://10.0.0.9",
        }
    )
    assert (config.mode, config.relay) == ("gate", "modbus+tcp://10.0.0.9")


def test_sim_makes_the_gate_relay_a_simulator_and_the_canteen_needs_none():
    assert load_config({**BASE, "KIOSK_MODE": "gate"}, simulate=True).relay == "sim"
    canteen = load_config(BASE, simulate=True)
    assert (canteen.mode, canteen.relay) == ("canteen", "")


def test_an_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="mode \\(KIOSK_MODE\\) must be canteen or gate"):
        load_config({**BASE, "KIOSK_MODE": "turnstile"}, simulate=True)
