"""A receipt may carry a QR code: the ESC/POS bytes hold the printer's QR command with the content
after the text, the simulated printer keeps it, and a receipt without one prints as before."""

from __future__ import annotations

import asyncio
from datetime import datetime

from hardware.escpos_printer import NetworkEscposPrinter, escpos_document, qr_command
from hardware.printer import SimulatedPrinter
from hardware.receipt import Receipt, render_receipt
from tests.hardware.helpers import eventually

QR_STORE = b"\x1d(k"  # GS ( k: the QR code function
TOKEN = "HQP1.0a1b2c3d.eyJwIjoxfQ.c2ln"
SLIP = Receipt("访客通行条", [("访客", "李*"), ("通行", "单次有效")], datetime(2026, 5, 4, 9, 30), "V123", qr=TOKEN)


def test_escpos_document_holds_a_qr_command_with_the_token_after_the_text():
    lines = render_receipt(SLIP, 32)
    document = escpos_document(lines, SLIP.qr)
    assert QR_STORE in document and TOKEN.encode() in document
    assert document.index("单次有效".encode("gb18030")) < document.index(QR_STORE)
    assert document.endswith(qr_command(TOKEN))


def test_receipt_without_qr_prints_the_same_bytes_as_before():
    plain = Receipt("食堂", [("金额", "12.00")], datetime(2026, 5, 4, 9, 30), "T1")
    lines = render_receipt(plain, 32)
    assert escpos_document(lines, plain.qr) == escpos_document(lines)
    assert QR_STORE not in escpos_document(lines)


async def test_simulated_printer_keeps_the_qr_code():
    printer = SimulatedPrinter(58)
    assert (await printer.print_receipt(SLIP)).printed
    await printer.print_receipt(Receipt("食堂", [], datetime(2026, 5, 4), "T2"))
    assert printer.qr_codes == [TOKEN] and len(printer.receipts) == 2


CUT = (b"\x1dV\x00", b"\x1dV\x01")  # GS V: full or partial cut


async def test_network_printer_is_sent_the_qr_code_before_the_cut():
    received, closed = bytearray(), []

    async def serve(reader, writer):
        # A printer that never answers the paper query: the driver prints anyway.
        while data := await reader.read(4096):
            received.extend(data)
        writer.close()
        closed.append(True)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        printer = NetworkEscposPrinter("127.0.0.1", server.sockets[0].getsockname()[1], width_mm=58)
        assert (await printer.print_receipt(SLIP)).printed
        await eventually(lambda: closed)
    finally:
        server.close()
        await server.wait_closed()
    assert qr_command(TOKEN) in received
    assert received.index(QR_STORE) < max(received.rfind(cut) for cut in CUT)
