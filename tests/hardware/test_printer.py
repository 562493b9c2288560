"""Receipt printers as the kiosk sees them: the simulator."""

from hardware.printer import SimulatedPrinter
from hardware.status import DeviceState
from tests.hardware.helpers import RECEIPT


async def test_simulated_printer_keeps_the_rendered_receipt():
    printer = SimulatedPrinter(width_mm=58)
    result = await printer.print_receipt(RECEIPT)
    assert result.printed
    assert printer.receipts[0][0].strip() == "市机关第一食堂"
    assert "午餐                       12.50" in printer.receipts[0]


async def test_simulated_printer_out_of_paper_or_unplugged_prints_nothing():
    printer = SimulatedPrinter(width_mm=80)
    printer.paper_out = True
    assert (await printer.print_receipt(RECEIPT)).status.state is DeviceState.PAPER_OUT
    printer.paper_out = False
    printer.unplug()
    assert (await printer.print_receipt(RECEIPT)).status.state is DeviceState.DISCONNECTED
    assert printer.receipts == []
