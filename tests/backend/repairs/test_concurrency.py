"""Repairs under real concurrency on PostgreSQL: the last spare part is taken once, a report is
assigned by one dispatcher only, and the same form (or Open311 request) submitted many times at
once files one report."""

import asyncio
from datetime import datetime

from backend.accounts.models import Person
from backend.core.timeutil import BUSINESS_TZ
from backend.repairs.models import PartMovement, RepairEvent, RepairReport, SparePart
from backend.repairs.service import reports as service
from backend.repairs.service.reports import Who
from tests.fixtures.repairs import file_report
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.open311 import open311_key, post_request

AT = datetime(2026, 11, 23, 9, 0, tzinfo=BUSINESS_TZ)


async def _in_progress(client, wechat, world, n: int) -> tuple[Who, list[int]]:
    reporter = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    technician = await Who.of_cadre((await Person.get(employee_no="D0004")).id)
    ids = []
    for i in range(n):
        report_id = (await file_report(client, reporter, world.lighting, world.room, description=f"灯不亮 {i}")).json()[
            "id"
        ]
        await service.start(technician, report_id, AT)
        ids.append(report_id)
    return technician, ids


async def test_the_last_parts_are_taken_once_by_concurrent_repairs(client, wechat, repairs_world, requires_postgres):
    technician, reports = await _in_progress(client, wechat, repairs_world, 10)
    part = await SparePart.create(code="LED-9W", name="LED 灯泡 9W", quantity=3)
    results = await asyncio.gather(
        *(service.resolve(technician, r, "更换灯泡", [], [(part.id, 1)], AT) for r in reports), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 7 and {getattr(r, "code", None) for r in refused} == {"repairs.part_short"}
    assert (await SparePart.get(id=part.id)).quantity == 0
    assert await PartMovement.filter(part_id=part.id).count() == 3
    assert await RepairReport.filter(state="resolved").count() == 3


async def test_two_dispatchers_assigning_at_once_leave_one_assignment(client, wechat, repairs_world, requires_postgres):
    reporter = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    report_id = (await file_report(client, reporter, repairs_world.water, repairs_world.room)).json()["id"]
    technician = await Person.get(employee_no="D0004")
    dispatchers = [Who("admin", i, f"调度{i}") for i in range(1, 9)]
    results = await asyncio.gather(
        *(service.assign(d, report_id, technician.id, AT) for d in dispatchers), return_exceptions=True
    )
    succeeded = sum(1 for r in results if r is None)
    # One accepted it; a dispatcher who came after it saw it accepted reassigned it (same
    # technician); one who read it before it changed was told so and changed nothing.
    assert succeeded >= 1
    assert all(r is None or getattr(r, "code", None) == "repairs.changed_meanwhile" for r in results)
    assert await RepairEvent.filter(report_id=report_id, action="accept").count() == 1
    assert await RepairEvent.filter(report_id=report_id, action="reassign").count() == succeeded - 1
    report = await RepairReport.get(id=report_id)
    assert report.state.value == "accepted" and report.version == succeeded


async def test_one_form_sent_many_times_at_once_files_one_report(client, wechat, repairs_world, requires_postgres):
    reporter = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    body = {
        "client_ref": "form-same-0001",
        "category_id": repairs_world.water,
        "location_id": repairs_world.room,
        "description": "水管漏水",
    }
    results = await asyncio.gather(
        *(client.post("/mp/v1/repairs", headers=bearer(reporter), json=body) for _ in range(20))
    )
    assert {r.status_code for r in results} <= {200, 201} and len({r.json()["id"] for r in results}) == 1
    assert await RepairReport.all().count() == 1


async def test_one_open311_request_posted_many_times_at_once_files_one_report(
    client, runtime, repairs_world, requires_postgres
):
    """A hotline system that retries with the same Idempotency-Key before hearing back."""
    api_key = await open311_key(runtime)
    results = await asyncio.gather(
        *(post_request(client, api_key, headers={"Idempotency-Key": "hotline-call-race-01"}) for _ in range(20))
    )
    assert {r.status_code for r in results} <= {200, 201}, [r.text for r in results if r.status_code >= 300]
    assert len({r.json()[0]["service_request_id"] for r in results}) == 1
    assert await RepairReport.all().count() == 1
