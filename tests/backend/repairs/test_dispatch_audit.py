"""A dispatcher's steps are in the audit log with what they changed (state, technician, team)
and the request they came from; a cadre's steps and the system's are the report's timeline only."""

import secrets

from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR, Actor
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.repairs.service import catalog
from backend.repairs.service import reports as service
from backend.repairs.service.reports import Who

DISPATCHER = Actor(admin_id=7, name="dispatcher", request_id="req-dispatch-1", ip="10.0.0.8")


async def _file(reporter: Who, category: int) -> int:
    report, _ = await service.submit(
        reporter, secrets.token_hex(8), category, None, "东门岗亭", "空调不制冷", [], now()
    )
    return report["id"]


async def test_an_assignment_and_a_reassignment_are_audited_with_the_technician_before_and_after(repairs_world):
    # given a new report and two technicians of the water team
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    first = await Person.get(employee_no="D0004")
    second = await Person.get(employee_no="D0003")
    team = await catalog.save_team(CLI_ACTOR, "WX1", "水电班", "D0005", ["D0004", "D0003"])
    report_id = await _file(reporter, repairs_world.water)
    # when a dispatcher assigns it, then gives it to the other technician
    await service.assign(Who.admin(DISPATCHER), report_id, first.id, now(), "请今天处理")
    await service.assign(Who.admin(DISPATCHER), report_id, second.id, now(), "刘洋请假")
    # then both steps are audited, against the dispatcher and their request
    accepted, reassigned = await AuditEntry.filter(object_type="repair_report", object_id=str(report_id)).order_by("id")
    assert (accepted.action, reassigned.action) == ("repairs.accept_report", "repairs.reassign_report")
    assert (accepted.actor_id, accepted.actor_name, accepted.request_id, accepted.ip) == (
        7,
        "dispatcher",
        "req-dispatch-1",
        "10.0.0.8",
    )
    assert accepted.before["state"] == "submitted" and accepted.before["assignee"] is None
    assert accepted.after == {
        "state": "accepted",
        "assignee_id": first.id,
        "assignee": "刘洋",
        "team_id": team["id"],
        "duplicate_of": None,
        "note": "请今天处理",
    }
    assert (reassigned.before["assignee"], reassigned.after["assignee"]) == ("刘洋", second.name)
    assert reassigned.after["state"] == "accepted" and reassigned.after["note"] == "刘洋请假"


async def test_closing_as_a_duplicate_is_audited_with_the_report_it_duplicates(repairs_world):
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    original, duplicate = await _file(reporter, repairs_world.water), await _file(reporter, repairs_world.water)
    await service.close_without_repair(Who.admin(DISPATCHER), duplicate, "mark_duplicate", "同一故障", now(), original)
    entry = await AuditEntry.get(action="repairs.mark_duplicate_report")
    assert entry.object_id == str(duplicate)
    assert (entry.before["state"], entry.after["state"]) == ("submitted", "duplicate")
    assert entry.after["duplicate_of"] == original and entry.after["note"] == "同一故障"


async def test_the_steps_of_cadres_and_of_the_system_are_not_admin_writes(repairs_world):
    """Auto-assignment by category, and a technician starting and resolving: timeline only."""
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    technician = await Who.of_cadre((await Person.get(employee_no="D0004")).id)
    report_id = await _file(reporter, repairs_world.lighting)  # lighting assigns itself to the team
    await service.start(technician, report_id, now())
    await service.resolve(technician, report_id, "已更换灯管", [], [], now())
    assert not await AuditEntry.filter(object_type="repair_report").exists()
