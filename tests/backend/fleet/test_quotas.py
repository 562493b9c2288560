"""The units' car quota ledger: allocations add up, transfers move quota between units in pairs
of lines, never take a unit below zero (also under many concurrent transfers on PostgreSQL), and
a retried transfer moves nothing twice; the monthly view and the audit log say what happened."""

import asyncio
from datetime import datetime

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.models import QuotaEntry, QuotaEntryKind, TripState
from backend.fleet.service import quotas
from tests.fixtures.fleet import MONDAY, make_request, make_trip

AT = datetime(2027, 3, 1, 10, 0, tzinfo=BUSINESS_TZ)


async def test_a_second_allocation_adds_to_the_first(fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 100_000_00, "年度核定", AT)
    second = await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 20_000_00, "追加核定", AT)
    assert second["balance_fen"] == 120_000_00
    assert await quotas.balance(fleet_world.unit_id, 2027) == 120_000_00
    assert await quotas.balance(fleet_world.unit_id, 2028) == 0
    entry = await AuditEntry.filter(action="fleet.allocate_quota").order_by("-id").first()
    assert entry.after["amount_fen"] == 20_000_00 and entry.after["balance_fen"] == 120_000_00


@pytest.mark.parametrize(("year", "amount"), [(2019, 100), (2101, 100), (2027, 0), (2027, -5)])
async def test_an_allocation_outside_the_years_or_not_positive_is_refused(fleet_world, year, amount):
    with pytest.raises(AppError) as refused:
        await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, year, amount, "核定", AT)
    assert refused.value.code in ("fleet.quota_year_invalid", "fleet.quota_amount_invalid")
    assert await QuotaEntry.all().count() == 0


async def test_an_allocation_to_an_unknown_unit_is_refused(fleet_world):
    with pytest.raises(AppError) as refused:
        await quotas.allocate(CLI_ACTOR, 999_999, 2027, 100, "核定", AT)
    assert refused.value.code == "fleet.unit_not_found"


async def test_a_transfer_writes_two_lines_with_one_key_and_moves_the_balances(fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 50_000_00, "年度核定", AT)
    done = await quotas.transfer(
        CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 8_000_00, "蓄水池调剂", "key-00000001", AT
    )
    assert done["amount_fen"] == 8_000_00
    lines = await QuotaEntry.filter(transfer_key="key-00000001").order_by("id")
    assert [(line.kind, line.amount_fen, line.month) for line in lines] == [
        (QuotaEntryKind.TRANSFER_OUT, -8_000_00, 3),
        (QuotaEntryKind.TRANSFER_IN, 8_000_00, 3),
    ]
    assert await quotas.balance(fleet_world.unit_id, 2027) == 42_000_00
    assert await quotas.balance(fleet_world.other_unit_id, 2027) == 8_000_00
    entry = await AuditEntry.get(action="fleet.transfer_quota")
    assert entry.before == {"from_balance_fen": 50_000_00, "to_balance_fen": 0}
    assert entry.after["from_balance_fen"] == 42_000_00 and entry.after["to_balance_fen"] == 8_000_00


async def test_the_same_transfer_key_again_moves_nothing_more(fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 50_000_00, "年度核定", AT)
    args = (CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 8_000_00, "调剂", "key-00000002", AT)
    first = await quotas.transfer(*args)
    again = await quotas.transfer(*args)
    assert again == first
    assert await QuotaEntry.filter(transfer_key="key-00000002").count() == 2
    assert await quotas.balance(fleet_world.unit_id, 2027) == 42_000_00
    # the key of that form used for another amount is refused, not reported as done
    with pytest.raises(AppError) as reused:
        await quotas.transfer(*args[:4], 9_000_00, "调剂", "key-00000002", AT)
    assert reused.value.code == "fleet.quota_key_reused"
    assert await quotas.balance(fleet_world.unit_id, 2027) == 42_000_00


async def test_a_transfer_beyond_the_balance_is_refused_and_the_exact_balance_is_allowed(fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 1_000_00, "年度核定", AT)
    with pytest.raises(AppError) as refused:
        await quotas.transfer(
            CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 1_000_01, "调剂", "key-00000003", AT
        )
    assert refused.value.code == "fleet.quota_short"
    assert refused.value.message == "市发展和改革委员会·办公室 2027 年剩余额度 1,000.00 元，不足调出 1,000.01 元"
    await quotas.transfer(
        CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 1_000_00, "调剂", "key-00000004", AT
    )
    assert await quotas.balance(fleet_world.unit_id, 2027) == 0


async def test_a_transfer_to_the_same_unit_or_out_of_an_empty_unit_is_refused(fleet_world):
    with pytest.raises(AppError) as same:
        await quotas.transfer(CLI_ACTOR, fleet_world.unit_id, fleet_world.unit_id, 2027, 100, "调剂", "key-0000005", AT)
    assert same.value.code == "fleet.quota_same_unit"
    with pytest.raises(AppError) as empty:
        await quotas.transfer(
            CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 100, "调剂", "key-0000006", AT
        )
    assert empty.value.code == "fleet.quota_short"
    assert await QuotaEntry.all().count() == 0


async def _finished_trip(world, ended: datetime, cost_fen: int):
    request = await make_request(world, starts_at=ended.replace(hour=9), state="finished")
    return await make_trip(
        request, world.sedan, world.driver, state=TripState.FINISHED, actual_end=ended, cost_fen=cost_fen
    )


async def test_a_trip_is_charged_once_in_the_month_it_ended(fleet_world):
    trip = await _finished_trip(fleet_world, datetime(2027, 4, 30, 23, 30, tzinfo=BUSINESS_TZ), 350_00)
    first = await quotas.charge(None, trip, AT)
    again = await quotas.charge(None, trip, AT)
    assert again.id == first.id and await QuotaEntry.filter(trip_id=trip.id).count() == 1
    assert (first.year, first.month, first.amount_fen, first.unit_id) == (2027, 4, -350_00, fleet_world.unit_id)


async def test_the_monthly_view_adds_up_to_the_balance(fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 10_000_00, "年度核定", AT)
    await quotas.transfer(
        CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 2_000_00, "调剂", "key-00000007", AT
    )
    await quotas.charge(None, await _finished_trip(fleet_world, MONDAY.replace(hour=12), 300_00), AT)
    await quotas.charge(
        None, await _finished_trip(fleet_world, datetime(2027, 5, 6, 12, tzinfo=BUSINESS_TZ), 200_00), AT
    )
    view = await quotas.monthly(fleet_world.unit_id, 2027)
    march, may = view["months"][2], view["months"][4]
    assert (march["allocated_fen"], march["transferred_fen"], march["charged_fen"]) == (10_000_00, -2_000_00, 300_00)
    assert march["remaining_fen"] == 7_700_00
    assert may["charged_fen"] == 200_00 and may["remaining_fen"] == 7_500_00
    assert (
        view["months"][11]["remaining_fen"]
        == view["remaining_fen"]
        == await quotas.remaining(fleet_world.unit_id, 2027)
    )
    yearly = await quotas.yearly([fleet_world.unit_id, fleet_world.other_unit_id], 2027)
    assert yearly[fleet_world.unit_id]["charged_fen"] == 500_00
    assert yearly[fleet_world.other_unit_id] == {
        "allocated_fen": 0,
        "transferred_fen": 2_000_00,
        "charged_fen": 0,
        "remaining_fen": 2_000_00,
    }


async def test_many_concurrent_transfers_out_of_one_unit_never_overdraw_it(fleet_world, requires_postgres):
    """30 transfers of 100 yuan each at once out of a unit holding 1,000 yuan: exactly ten pass,
    and every unit's balance is the sum of its lines, none below zero."""
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 1_000_00, "年度核定", AT)
    results = await asyncio.gather(
        *(
            quotas.transfer(
                CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 100_00, "调剂", f"race-{i:04d}", AT
            )
            for i in range(30)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 20 and {getattr(r, "code", None) for r in refused} == {"fleet.quota_short"}
    assert await quotas.balance(fleet_world.unit_id, 2027) == 0
    assert await quotas.balance(fleet_world.other_unit_id, 2027) == 1_000_00
    lines = await QuotaEntry.filter(kind__in=["transfer_in", "transfer_out"]).values_list("amount_fen", flat=True)
    assert len(lines) == 20 and sum(lines) == 0


async def test_concurrent_retries_of_one_transfer_move_it_once(fleet_world, requires_postgres):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 1_000_00, "年度核定", AT)
    args = (CLI_ACTOR, fleet_world.unit_id, fleet_world.other_unit_id, 2027, 100_00, "调剂", "same-key-01", AT)
    results = await asyncio.gather(*(quotas.transfer(*args) for _ in range(10)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, Exception)]
    assert await quotas.balance(fleet_world.unit_id, 2027) == 900_00
    assert await QuotaEntry.filter(transfer_key="same-key-01").count() == 2
