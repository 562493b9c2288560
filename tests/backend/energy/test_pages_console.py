"""The energy console: every page renders for whoever may see energy and is refused to anyone
else, and a viewer gets no forms; a meter is registered through its form (refusals shown at their
fields, the secret never written back); the budget page draws each unit's bar by kind, and a
budget is adjusted with a reason, extended and restored only with the right permission; alerts are
acknowledged; manual readings, events and held readings go through their forms; contacts are
added by employee number; quotas, the baseline and targets are set; the reports download; the
dashboard card lists the units over 80 %."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl

from backend.core.timeutil import BUSINESS_TZ, now, today
from backend.energy.models import (
    Alert,
    AlertKind,
    Baseline,
    Budget,
    BudgetChange,
    BudgetState,
    EnergyContact,
    Meter,
    MeterEvent,
    MeterKind,
    Quota,
    Reading,
    ReadingStatus,
    SwitchAction,
    SwitchCommand,
    SwitchReason,
    SwitchState,
    Target,
)
from tests.fixtures.energy import put_month
from tests.helpers import console_admin

VIEWER = ["energy.view_energy", "energy.view_report"]
MANAGER = ["energy.view_energy", "energy.manage_meters", "energy.manage_budgets", "energy.view_report"]


async def _budgets(w) -> tuple[Budget, Budget]:
    """FGW's electricity budget of this month 92 % used (warned, an open alert), CZJ's 40 %: the
    use the evaluation stored and, as the pages read it now, the meters' month rollups."""
    month = today().replace(day=1)
    await put_month(w.fgw_power.id, month, 920_000)
    await put_month(w.czj_power.id, month, 200_000)
    fgw = await Budget.create(
        unit_id=w.fgw_id,
        month=month,
        kind=MeterKind.ELECTRICITY,
        headcount=2,
        per_person_milli=500_000,
        computed_milli=1_000_000,
        used_milli=920_000,
        state=BudgetState.WARNED,
        alerted_80_at=now(),
    )
    czj = await Budget.create(
        unit_id=w.czj_id,
        month=month,
        kind=MeterKind.ELECTRICITY,
        headcount=1,
        per_person_milli=500_000,
        computed_milli=500_000,
        used_milli=200_000,
    )
    await Alert.create(
        kind=AlertKind.BUDGET_80,
        unit_id=w.fgw_id,
        budget=fgw,
        message="电预算已用 92%",
        dedupe_key=f"budget80:{fgw.id}",
    )
    return fgw, czj


def _pages(w, fgw: Budget) -> tuple[str, ...]:
    return (
        "/console/energy/meters",
        "/console/energy/meters?kind=water&state=manual",
        f"/console/energy/meters/{w.fgw_power.id}",
        "/console/energy/models",
        "/console/energy/readings/held",
        "/console/energy/budgets",
        f"/console/energy/budgets/{fgw.id}",
        "/console/energy/alerts",
        "/console/energy/alerts?all=1",
        "/console/energy/switching",
        "/console/energy/indicators",
        "/console/energy/reports",
        "/console/energy/plan",
        "/console/energy/contacts",
    )


async def test_every_page_renders_for_a_viewer_and_is_refused_without_the_permission(client, energy_world):
    w = energy_world
    fgw, _ = await _budgets(w)
    await console_admin(client, "other", ["charging.view_charging"])
    for path in _pages(w, fgw):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "viewer", VIEWER)
    for path in _pages(w, fgw):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert answer.text.count('method="post"') == 1, path  # the logout form only: a viewer gets no forms
    for path in (
        "/console/energy/meters/new",
        "/console/energy/readings/import",
        f"/console/energy/meters/{w.fgw_power.id}/edit",
    ):
        assert (await client.get(path)).status_code == 403, path
    assert (await client.get("/console/energy/meters/999999")).status_code == 404
    assert (await client.get("/console/energy/budgets/999999")).status_code == 404


async def test_a_meter_is_registered_through_the_form_with_refusals_at_their_fields(client, energy_world):
    w = energy_world
    csrf = await console_admin(client, "operator", MANAGER)
    form = {
        "csrf_token": csrf,
        "code": "E-NEW-01",
        "name": "新表",
        "kind": "electricity",
        "role": "consumption",
        "place_id": str(w.room_fgw_id),
        "unit_id": str(w.fgw_id),
        "apportion": "none",
        "model_id": str(w.model.id),
        "endpoint": "10.0.0.8",
        "device_address": "300",
        "control_secret": "0A1B2C3D:00000009",
        "multiplier": "1",
        "installed_on": "2026-02-01",
    }
    refused = await client.post("/console/energy/meters", data=form)
    assert refused.status_code == 422
    assert "Modbus 从站地址应为 1 到 247 的整数" in refused.text and "通信地址应为" in refused.text
    assert "0A1B2C3D:00000009" not in refused.text  # the secret typed is not written back
    assert 'value="E-NEW-01"' in refused.text
    saved = await client.post(
        "/console/energy/meters", data={**form, "endpoint": "10.0.0.8:502", "device_address": "9", "control_secret": ""}
    )
    assert saved.status_code == 302
    meter = await Meter.get(code="E-NEW-01")
    assert saved.headers["location"] == f"/console/energy/meters/{meter.id}?done=created"
    page = (await client.get(saved.headers["location"])).text
    assert "电表已登记" in page and "10.0.0.8:502" in page
    shared = {k: v for k, v in form.items() if k != "unit_id"}
    answer = await client.post(
        "/console/energy/meters",
        data={
            **shared,
            "code": "E-PUB-09",
            "endpoint": "10.0.0.8:502",
            "device_address": "10",
            "control_secret": "",
            "apportion": "area",
            "shared_unit_ids": [str(w.fgw_id), str(w.czj_id)],
        },
    )
    assert answer.status_code == 302 and (await Meter.get(code="E-PUB-09")).unit_id is None
    edit = await client.post(
        f"/console/energy/meters/{meter.id}",
        data={**form, "endpoint": "10.0.0.9:502", "device_address": "9", "control_secret": "", "name": "改名的表"},
    )
    assert edit.status_code == 302 and (await Meter.get(id=meter.id)).name == "改名的表"
    off = await client.post(f"/console/energy/meters/{meter.id}/active", data={"csrf_token": csrf, "active": "0"})
    assert off.headers["location"].endswith("done=disabled") and not (await Meter.get(id=meter.id)).is_active
    listed = (await client.get("/console/energy/meters?q=E-NEW")).text
    assert "E-NEW-01" in listed and "E-FGW-01" not in listed


async def test_the_budget_page_draws_each_units_bar_and_a_budget_is_adjusted_with_a_reason(client, energy_world):
    w = energy_world
    fgw, czj = await _budgets(w)
    csrf = await console_admin(client, "office", ["energy.view_energy", "energy.manage_budgets"])
    listed = (await client.get("/console/energy/budgets")).text
    assert 'data-testid="budget-warned">1<' in listed
    assert re.search(rf'data-testid="bar-{fgw.id}"[^>]*aria-valuenow="92"', listed)
    assert "width:92%" in listed and "width:40%" in listed and "已用 80%" in listed
    assert listed.index("市发展和改革委员会") < listed.index("市财政局")  # the most used first
    other_month = (
        await client.get(
            f"/console/energy/budgets?month={(today().replace(day=1) - timedelta(days=1)).strftime('%Y-%m')}"
        )
    ).text
    assert "这个月还没有预算" in other_month

    detail = (await client.get(f"/console/energy/budgets/{fgw.id}")).text
    assert "920.00" in detail and "1,000.00" in detail and 'data-testid="adjust-form"' in detail
    assert 'data-testid="extend-form"' not in detail  # extending needs energy.switch_supply
    refused = await client.post(
        f"/console/energy/budgets/{fgw.id}/adjust", data={"csrf_token": csrf, "delta": "200", "reason": ""}
    )
    assert refused.status_code == 422 and "请填写原因" in refused.text
    done = await client.post(
        f"/console/energy/budgets/{fgw.id}/adjust", data={"csrf_token": csrf, "delta": "200", "reason": "新增在编人员"}
    )
    assert done.headers["location"] == f"/console/energy/budgets/{fgw.id}?done=adjusted"
    assert (await BudgetChange.get(budget_id=fgw.id)).delta_milli == 200_000
    changed = (await client.get(done.headers["location"])).text
    assert "+200 千瓦时" in changed and "新增在编人员" in changed and ">office<" in changed
    assert "电预算已用 92%" in changed  # the budget's alert
    assert "1 条告警待处理" in (await client.get("/console/energy/budgets")).text
    assert (await client.post(f"/console/energy/budgets/{fgw.id}/extend", data={"csrf_token": csrf})).status_code == 403
    assert (
        await client.post(f"/console/energy/budgets/{czj.id}/restore", data={"csrf_token": csrf})
    ).status_code == 403


async def test_a_budget_of_0_is_shown_as_not_managed_never_as_used_up(client, energy_world):
    w = energy_world
    _, czj = await _budgets(w)
    await Budget.filter(id=czj.id).update(headcount=0, computed_milli=0)
    await console_admin(client, "viewer", VIEWER)
    listed = (await client.get("/console/energy/budgets")).text
    assert "未核定" in listed and "不考核" in listed
    assert 'data-testid="budget-exhausted">0<' in listed
    detail = (await client.get(f"/console/energy/budgets/{czj.id}")).text
    assert 'data-testid="budget-unmanaged"' in detail and "已用尽" not in detail
    dashboard = (await client.get("/console/")).text
    assert "市财政局电预算" not in dashboard


async def test_supply_is_extended_and_a_cut_restored_by_whoever_may_switch_supply(client, energy_world):
    w = energy_world
    fgw, _ = await _budgets(w)
    await Budget.filter(id=fgw.id).update(state=BudgetState.CUT, used_milli=1_000_000)
    await SwitchCommand.create(
        meter=w.fgw_power,
        budget=fgw,
        action=SwitchAction.CUT,
        reason=SwitchReason.BUDGET_EXHAUSTED,
        state=SwitchState.CONFIRMED,
        decision_key=f"cut:{fgw.id}:{w.fgw_power.id}:1",
        attempts=1,
    )
    csrf = await console_admin(client, "switcher", ["energy.view_energy", "energy.switch_supply"])
    detail = (await client.get(f"/console/energy/budgets/{fgw.id}")).text
    assert 'data-testid="restore-form"' in detail and "已断供" in detail and "E-FGW-01" in detail
    past = (now() - timedelta(hours=1)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    refused = await client.post(
        f"/console/energy/budgets/{fgw.id}/extend", data={"csrf_token": csrf, "until": past, "reason": "会议保障"}
    )
    assert refused.status_code == 422 and "请填写晚于现在的截止时间" in refused.text
    restored = await client.post(
        f"/console/energy/budgets/{fgw.id}/restore", data={"csrf_token": csrf, "reason": "领导批准"}
    )
    assert restored.headers["location"].endswith("done=restored")
    later = (now() + timedelta(days=2)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    extended = await client.post(
        f"/console/energy/budgets/{fgw.id}/extend", data={"csrf_token": csrf, "until": later, "reason": "会议保障"}
    )
    assert extended.headers["location"].endswith("done=extended")
    assert await BudgetChange.filter(budget_id=fgw.id).count() == 2
    switching = (await client.get("/console/energy/switching")).text
    assert "断供" in switching and "预算用尽" in switching and "已确认" in switching


async def test_alerts_are_acknowledged_and_leave_the_open_list(client, energy_world):
    w = energy_world
    fgw, _ = await _budgets(w)
    alert = await Alert.get(budget_id=fgw.id)
    csrf = await console_admin(client, "viewer", ["energy.view_energy"])
    assert (
        await client.post(f"/console/energy/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf})
    ).status_code == 403
    csrf = await console_admin(client, "operator", ["energy.view_energy", "energy.manage_meters"])
    assert "电预算已用 92%" in (await client.get("/console/energy/alerts")).text
    done = await client.post(f"/console/energy/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf})
    assert done.headers["location"] == "/console/energy/alerts?done=acknowledged"
    assert "电预算已用 92%" not in (await client.get("/console/energy/alerts")).text
    assert "operator" in (await client.get("/console/energy/alerts?all=1")).text


async def test_a_manual_reading_an_event_and_a_held_reading_go_through_their_forms(client, energy_world):
    w = energy_world
    csrf = await console_admin(client, "operator", MANAGER)
    path = f"/console/energy/meters/{w.fgw_water.id}"
    typed = (now() - timedelta(hours=2)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    refused = await client.post(f"{path}/readings", data={"csrf_token": csrf, "read_at": typed, "value": "十二"})
    assert refused.status_code == 422 and "读数有误" in refused.text
    saved = await client.post(f"{path}/readings", data={"csrf_token": csrf, "read_at": typed, "value": "123.456"})
    assert saved.headers["location"] == f"{path}?done=reading#readings"
    assert (await Reading.get(meter_id=w.fgw_water.id)).raw_milli == 123_456
    assert "123.456" in (await client.get(path)).text

    future = (now() + timedelta(hours=2)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    event = {
        "csrf_token": csrf,
        "kind": "ct_change",
        "at": future,
        "old_final": "100",
        "new_start": "100",
        "new_multiplier": "40",
        "reason": "更换互感器",
    }
    assert (await client.post(f"/console/energy/meters/{w.fgw_power.id}/events", data=event)).status_code == 422
    done = await client.post(f"/console/energy/meters/{w.fgw_power.id}/events", data={**event, "at": typed})
    assert done.status_code == 302 and (await MeterEvent.get(meter_id=w.fgw_power.id)).new_multiplier == 40

    held = await Reading.create(
        meter=w.fgw_power,
        slot_at=now() - timedelta(minutes=15),
        read_at=now(),
        raw_milli=5,
        status=ReadingStatus.HELD_BACKWARD,
    )
    page = (await client.get("/console/energy/readings/held")).text
    assert f'data-reading="{held.id}"' in page and "读数倒退（待复核）" in page
    no_note = await client.post(
        f"/console/energy/readings/{held.id}/review", data={"csrf_token": csrf, "decision": "reject", "note": ""}
    )
    assert no_note.status_code == 422 and "请填写原因" in no_note.text
    reviewed = await client.post(
        f"/console/energy/readings/{held.id}/review",
        data={"csrf_token": csrf, "decision": "reject", "note": "通信干扰"},
    )
    assert reviewed.status_code == 302 and (await Reading.get(id=held.id)).status == ReadingStatus.REJECTED
    template = await client.get("/console/energy/readings/import-template.xlsx")
    assert [c.value for c in openpyxl.load_workbook(io.BytesIO(template.content)).active[1]] == [
        "表号",
        "抄表时间",
        "读数",
    ]
    empty = await client.post("/console/energy/readings/import", data={"csrf_token": csrf, "dry_run": "1"})
    assert empty.status_code == 422 and "请选择 .xlsx 文件" in empty.text
    sheet = openpyxl.Workbook()
    sheet.active.append(["表号", "抄表时间", "读数"])
    sheet.active.append(["W-NONE-01", typed.replace("T", " "), "12"])
    sheet.active.append([w.fgw_water.code, typed.replace("T", " "), "十二"])
    body = io.BytesIO()
    sheet.save(body)
    upload = {"file": ("readings.xlsx", body.getvalue(), "application/octet-stream")}
    bad_rows = await client.post(
        "/console/energy/readings/import", data={"csrf_token": csrf, "dry_run": "1"}, files=upload
    )
    assert bad_rows.status_code == 422 and 'data-testid="import-problems"' in bad_rows.text
    assert "表号 W-NONE-01 未登记" in bad_rows.text and '<td class="num">3</td><td>读数</td>' in bad_rows.text


async def test_contacts_are_added_by_employee_number_and_removed(client, energy_world):
    w = energy_world
    csrf = await console_admin(client, "office", ["energy.view_energy", "energy.manage_budgets"])
    unknown = await client.post(
        "/console/energy/contacts", data={"csrf_token": csrf, "unit_id": str(w.fgw_id), "employee_no": "D9999"}
    )
    assert unknown.status_code == 422 and "工号 D9999 不存在或已离职" in unknown.text
    added = await client.post(
        "/console/energy/contacts", data={"csrf_token": csrf, "unit_id": str(w.fgw_id), "employee_no": "D0001"}
    )
    assert added.headers["location"] == "/console/energy/contacts?done=added"
    listed = (await client.get("/console/energy/contacts")).text
    assert "张伟" in listed and "D0001" in listed
    contact = await EnergyContact.get(unit_id=w.fgw_id)
    removed = await client.post(f"/console/energy/contacts/{contact.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 302 and not await EnergyContact.exists()


async def test_quotas_the_baseline_and_targets_are_set_on_the_plan_page(client, energy_world):
    csrf = await console_admin(client, "office", ["energy.view_energy", "energy.manage_budgets"])
    month = today().strftime("%Y-%m")
    bad = await client.post(
        "/console/energy/quotas",
        data={"csrf_token": csrf, "kind": "electricity", "effective_from": "", "per_person": "300"},
    )
    assert bad.status_code == 422 and "请选择生效月份" in bad.text
    quota = await client.post(
        "/console/energy/quotas",
        data={"csrf_token": csrf, "kind": "electricity", "effective_from": month, "per_person": "300", "per_m2": "5"},
    )
    assert quota.headers["location"] == "/console/energy/plan?done=quota"
    assert (await Quota.get(kind=MeterKind.ELECTRICITY)).per_person_milli == 300_000
    baseline = await client.post(
        "/console/energy/baseline",
        data={
            "csrf_token": csrf,
            "year": "2020",
            "area": "286.5",
            "headcount": "3",
            "electricity": "15800",
            "water": "95",
        },
    )
    assert baseline.status_code == 302 and (await Baseline.get(year=2020)).area_hundredths == 28650
    target = await client.post(
        "/console/energy/targets",
        data={
            "csrf_token": csrf,
            "indicator": "energy_per_m2",
            "baseline_year": "2020",
            "target_year": "2025",
            "reduction": "6",
        },
    )
    assert target.status_code == 302 and (await Target.get()).reduction_bp == 600
    page = (await client.get("/console/energy/plan")).text
    assert "300.00 千瓦时" in page and "286.50 m²" in page and "单位建筑面积能耗" in page and ">6%<" in page


async def test_the_reports_download_and_the_indicators_draw_their_charts(client, energy_world):
    w = energy_world
    await _budgets(w)
    await console_admin(client, "analyst", ["energy.view_report"])
    month = today().strftime("%Y-%m")
    unit = await client.get(f"/console/energy/reports/unit.xlsx?unit={w.fgw_id}&month={month}")
    assert unit.status_code == 200 and "attachment" in unit.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(unit.content)).active.max_row >= 2
    province = await client.get(f"/console/energy/reports/province.xlsx?year={today().year}&quarter=1")
    assert province.status_code == 200
    assert (await client.get("/console/energy/reports/unit.xlsx?unit=999999")).status_code == 403
    page = (await client.get(f"/console/energy/indicators?kind=electricity&unit={w.fgw_id}&per=person")).text
    assert 'data-testid="trend-chart"' in page and 'data-testid="ranking-chart"' in page
    assert page.count('<rect class="bar"') >= 12  # a bar per month of the trend


async def test_the_dashboard_card_lists_the_units_over_80_percent(client, energy_world):
    w = energy_world
    await _budgets(w)
    await console_admin(client, "viewer", ["energy.view_energy"])
    dashboard = (await client.get("/console/")).text
    assert 'data-testid="energy-over">1<' in dashboard
    assert "市发展和改革委员会电预算已用 92%" in dashboard and "市财政局电预算" not in dashboard
    await console_admin(client, "other", ["charging.view_charging"])
    assert 'data-testid="energy-card"' not in (await client.get("/console/")).text


def test_months_are_read_from_the_address_or_default_to_this_one():
    from types import SimpleNamespace

    from backend.energy.pages.common import requested_month

    def month_of(text: str) -> date:
        return requested_month(SimpleNamespace(args={"month": text}))

    assert month_of("2026-02") == date(2026, 2, 1)
    for wrong in ("2026-13", "1999-01", "02-2026", f"{today().year + 2}-01", ""):
        assert month_of(wrong) == today().replace(day=1)
