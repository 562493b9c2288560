"""Printing a walk-in's slip: the slip token goes to the gate's printer as a QR code with the
masked name and 单次有效; no printer, an unusable printer URI, an unplugged printer and a visit
not yet confirmed are statuses or refusals, never a crash."""

from __future__ import annotations

import pytest

from backend.access.errors import AccessError
from backend.access.models import VisitPass
from backend.access.service import passes, slips
from backend.core.errors import AppError
from hardware.status import DeviceState


async def test_slip_printed_with_its_token_as_qr_and_masked_details(access_world, guard_desk, runtime):
    visit_id = await guard_desk.walk_in("李四", confirmed=True)
    access_world.entry.printer_uri = "sim?width=58"
    await access_world.entry.save()
    status = await slips.print_slip(runtime.settings.data_key, visit_id, access_world.entry.id)
    assert status.state is DeviceState.OK
    printer = slips.printer_of(access_world.entry.id)
    slip_pass = await VisitPass.get(visit_id=visit_id)
    assert printer.qr_codes == [await passes.slip_token(runtime.settings.data_key, slip_pass.id)]
    text = "\n".join(printer.receipts[0])
    assert "访客通行条" in text and "李*" in text and "单次有效" in text and "2 人" in text and "李四" not in text


async def test_printer_problems_are_statuses(access_world, guard_desk, runtime):
    visit_id = await guard_desk.walk_in(confirmed=True)
    key = runtime.settings.data_key
    assert (await slips.print_slip(key, visit_id, access_world.exit.id)).state is DeviceState.DISCONNECTED
    access_world.exit.printer_uri = "lpt://nowhere"
    await access_world.exit.save()
    assert (await slips.print_slip(key, visit_id, access_world.exit.id)).state is DeviceState.ERROR
    access_world.exit.printer_uri = "sim"
    await access_world.exit.save()
    await slips.print_slip(key, visit_id, access_world.exit.id)
    slips.printer_of(access_world.exit.id).unplug()
    assert (await slips.print_slip(key, visit_id, access_world.exit.id)).state is DeviceState.DISCONNECTED


async def test_no_slip_before_the_host_agreed(access_world, guard_desk, runtime):
    visit_id = await guard_desk.walk_in()
    with pytest.raises(AppError) as refused:
        await slips.print_slip(runtime.settings.data_key, visit_id, access_world.entry.id)
    assert refused.value.code == AccessError.VISIT_STATE.code
