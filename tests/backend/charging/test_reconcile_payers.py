"""Reconciliation checks each bill against its payer: the voucher's other leg is the session's
own payer, the bill adds up, and an official car's bill has its fleet upkeep record."""

from __future__ import annotations

from backend.charging.models import Bill, Session
from backend.charging.service import reconcile
from backend.core.timeutil import now
from backend.fleet.models import UpkeepRecord
from tests.helpers.charging_events import at, start, stop


async def _charged(world, runtime, id_tag: str, kwh: int, connector: int = 1) -> int:
    started = await start(world, runtime, id_tag, connector=connector, when=at(10))
    await stop(world, runtime, started.transaction_id, kwh * 1000, at(11))
    return started.transaction_id


async def test_clean_bills_reconcile(charging_world, runtime, sent):
    await _charged(charging_world, runtime, charging_world.card_uid, 5)
    await _charged(charging_world, runtime, charging_world.fleet_card, 2, connector=2)
    assert await reconcile.check(None, now().date()) == []


async def test_a_voucher_paid_by_another_than_the_sessions_payer_is_found(charging_world, runtime, sent):
    fleet = await _charged(charging_world, runtime, charging_world.fleet_card, 2)
    await Session.filter(id=fleet).update(unit_id=charging_world.unit_id - 1)
    problems = await reconcile.check(None, now().date())
    assert any(
        f"充电记录 {fleet}：凭证" in p and f"charging:unit:{charging_world.unit_id - 1}:fleet" in p for p in problems
    )


async def test_a_bill_that_does_not_add_up_is_found(charging_world, runtime, sent):
    tx = await _charged(charging_world, runtime, charging_world.card_uid, 5)
    await Bill.filter(session_id=tx).update(shortfall_fen=1)
    problems = await reconcile.check(None, now().date())
    assert any(f"充电记录 {tx}：实收" in p for p in problems)


async def test_an_official_cars_bill_without_its_upkeep_record_is_found(charging_world, runtime, sent):
    fleet = await _charged(charging_world, runtime, charging_world.fleet_card, 2)
    await UpkeepRecord.filter(vehicle_id=charging_world.vehicle.id).delete()
    problems = await reconcile.check(None, now().date())
    assert problems == [f"充电记录 {fleet}：公务车没有 300 分的充电维护记录"]
