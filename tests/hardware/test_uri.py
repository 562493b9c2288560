"""Devices named by one string each in a kiosk's configuration."""

import subprocess
import sys

import pytest

from hardware.escpos_printer import NetworkEscposPrinter, UsbEscposPrinter
from hardware.printer import SimulatedPrinter
from hardware.readers import SerialLineReader, SimulatedReader
from hardware.relay import ModbusGateRelay, SimulatedGateRelay
from hardware.uri import card_reader_from_uri, gate_relay_from_uri, printer_from_uri, scanner_from_uri
from hardware.wedge import KeyboardWedgeReader


def test_sim_names_the_simulator_of_each_kind_of_device():
    assert isinstance(card_reader_from_uri("sim"), SimulatedReader)
    assert isinstance(scanner_from_uri("sim"), SimulatedReader)
    assert isinstance(printer_from_uri("sim?width=58"), SimulatedPrinter)
    assert isinstance(gate_relay_from_uri("sim?pulse_ms=100"), SimulatedGateRelay)


async def test_card_reader_options_set_how_uids_are_normalised():
    reader = card_reader_from_uri("sim?digits=decimal&byte_order=lsb")
    reader.tap("3283263748")
    assert await reader.read() == "04A1B2C3"


def test_serial_and_wedge_uris_name_device_paths():
    serial_reader = card_reader_from_uri("serial:///dev/ttyUSB0?baud=9600&byte_order=lsb")
    assert isinstance(serial_reader, SerialLineReader) and serial_reader.name == "serial /dev/ttyUSB0"
    wedge_scanner = scanner_from_uri("wedge:///dev/input/by-id/usb-scanner-event-kbd")
    assert isinstance(wedge_scanner, KeyboardWedgeReader)
    assert wedge_scanner.name == "keyboard wedge /dev/input/by-id/usb-scanner-event-kbd"


def test_printer_uris_name_network_and_usb_printers_and_their_paper():
    network = printer_from_uri("escpos+tcp://192.168.1.50:9100?width=58&timeout=2.5")
    assert isinstance(network, NetworkEscposPrinter)
    assert (network.host, network.port, network.columns, network.timeout) == ("192.168.1.50", 9100, 32, 2.5)
    assert printer_from_uri("escpos+tcp://printer.local").port == 9100
    usb = printer_from_uri("escpos+usb://0416:5011?width=80")
    assert isinstance(usb, UsbEscposPrinter) and (usb.vendor, usb.product, usb.columns) == (0x0416, 0x5011, 48)


def test_modbus_uri_names_the_board_unit_coil_and_pulse():
    relay = gate_relay_from_uri("modbus+tcp://10.0.0.9:502?unit=1&coil=0&pulse_ms=500&timeout=0.5")
    assert isinstance(relay, ModbusGateRelay)
    assert (relay.host, relay.port, relay.unit, relay.coil, relay.pulse_ms, relay.timeout) == (
        "10.0.0.9",
        502,
        1,
        0,
        500,
        0.5,
    )


@pytest.mark.parametrize(
    ("make", "uri", "problem"),
    [
        (card_reader_from_uri, "", "names no card reader"),
        (card_reader_from_uri, "usb:///dev/ttyUSB0", "names no card reader"),
        (card_reader_from_uri, "serial://dev/ttyUSB0", "absolute path"),
        (card_reader_from_uri, "serial:///dev/ttyUSB0?baud=fast", "baud must be a number"),
        (card_reader_from_uri, "serial:///dev/ttyUSB0?buad=9600", "unknown option buad"),
        (card_reader_from_uri, "sim?byte_order=middle", "byte_order must be one of msb, lsb"),
        (card_reader_from_uri, "sim?digits=hex&digits=decimal", "given twice"),
        (scanner_from_uri, "wedge:///dev/input/event3?byte_order=lsb", "unknown option byte_order"),
        (printer_from_uri, "escpos+tcp://:9100", "host is missing"),
        (printer_from_uri, "escpos+tcp://10.0.0.5:99999", "port must be a number"),
        (printer_from_uri, "escpos+tcp://10.0.0.5?width=76", "width must be one of 58, 80"),
        (printer_from_uri, "escpos+usb://printer", "vendor:product in hex"),
        (printer_from_uri, "escpos://10.0.0.5", "names no receipt printer"),
        (gate_relay_from_uri, "modbus+tcp://10.0.0.9?pulse_ms=0", "pulse_ms must be at least 1"),
        (gate_relay_from_uri, "modbus+tcp://10.0.0.9?timeout=soon", "timeout must be a number"),
        (gate_relay_from_uri, "modbus+rtu:///dev/ttyS0", "names no gate relay"),
    ],
)
def test_invalid_device_uri_is_refused_with_the_reason(make, uri, problem):
    with pytest.raises(ValueError, match=problem):
        make(uri)


def test_configuring_simulators_leaves_python_escpos_and_logging_alone():
    """python-escpos configures the root logger when imported; only a real printer may pay for that."""
    check = (
        "import hardware.uri as u, logging, sys; u.printer_from_uri('sim'); "
        "assert 'escpos' not in sys.modules and not logging.getLogger().handlers"
    )
    subprocess.run([sys.executable, "-c", check], check=True)
