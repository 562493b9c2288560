"""Device adapters (card readers, QR scanners, printers, gate relays, ...), each with a simulator.

Each kind of device has a small interface, a real driver and a simulator, and reports faults as
a `status.DeviceStatus` instead of raising into the kiosk. Imports nothing of the rest of the
project.

    status.py    DeviceState, DeviceStatus
    lines.py     the line reader that card readers and scanners share (threads, reconnection)
    readers.py   InputReader, UidFormat, scanned_text, SerialLineReader, SimulatedReader
    wedge.py     KeyboardWedgeReader (Linux input devices, via evdev)
    receipt.py   Receipt, Fen, the layout for 58 and 80 mm paper
    printer.py   ReceiptPrinter, PrintResult, SimulatedPrinter
    escpos_printer.py  NetworkEscposPrinter, UsbEscposPrinter (python-escpos; see its import note)
    relay.py     GateRelay, ModbusGateRelay, SimulatedGateRelay
    uri.py       one configuration string per device: card_reader_from_uri, printer_from_uri, ...
"""
