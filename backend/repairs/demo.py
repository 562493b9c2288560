"""Demo data of the repairs module: the usual categories with their time limits, a maintenance
team with a technician and its dispatcher, a few spare parts, and a week of reports (随手拍) in
every state a report can be in, each with its photo, the repaired ones with an after-photo.

Every report goes through the same steps a cadre, the technician and the dispatcher take (the
photos through the upload pipeline that makes a phone's photo safe), at times spread over the
past week, so the dispatch desk, the timelines, the ratings and the statistics all have
something to show. The building reports are filed in is the places module's demo.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR, Actor
from backend.core.demo import DemoContext
from backend.core.timeutil import BUSINESS_TZ, now
from backend.places import service as places
from backend.repairs.service import catalog as repair_catalog
from backend.repairs.service import parts, uploads
from backend.repairs.service import reports as workflow
from backend.repairs.service.reports import Who

TECHNICIAN = "D0004"
DISPATCHER = Who.admin(Actor(admin_id=None, name="陈静（调度）"))
# (code, name, unit, stock, low-stock mark, the category whose repairs use one)
PARTS = (("LED-T8", "T8 LED 灯管", "根", 40, 5, "lighting"), ("TAP-01", "水龙头阀芯", "个", 12, 3, "water"))

# (reporter, category, room, what is wrong, working days ago, the steps after submitting, the photo's colour)
REPORTS: tuple[tuple[str, str, str, str, int, tuple[str, ...], tuple[int, int, int]], ...] = (
    ("D0001", "lighting", "101", "办公室顶灯闪烁", 0, (), (230, 200, 80)),
    ("D0002", "water", "102", "洗手间水龙头滴水", 0, ("assign",), (80, 140, 220)),
    ("D0003", "aircon", "301", "空调不制冷", 1, ("assign", "acknowledge", "start"), (120, 180, 200)),
    ("D0005", "doors", "302", "会议室门锁卡住", 2, ("assign", "start", "resolve"), (150, 110, 80)),
    ("D0001", "furniture", "101", "办公椅扶手松动", 4, ("assign", "start", "resolve", "confirm"), (160, 120, 90)),
    ("D0002", "lighting", "会议室", "会议室两盏灯不亮", 6, ("assign", "start", "resolve", "confirm"), (240, 220, 120)),
    ("D0003", "water", "102", "水管接口漏水", 5, ("assign", "start", "resolve", "reopen", "start"), (70, 120, 200)),
    ("D0005", "other", "食堂", "希望食堂加装空调", 3, ("reject",), (200, 200, 200)),
    ("D0002", "lighting", "101", "顶灯闪烁（同事已报）", 0, ("mark_duplicate",), (230, 200, 80)),
    ("D0001", "doors", "301", "门把手松了", 2, ("cancel",), (150, 110, 80)),
)


def demo_photo(colour: tuple[int, int, int], label: int) -> bytes:
    """A small JPEG standing in for a phone's photo: a coloured wall with a marked spot."""
    image = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 360, 640, 480), fill=tuple(c // 2 for c in colour))
    draw.ellipse((250, 140, 390, 280), outline=(200, 30, 30), width=8)
    draw.text((20, 20), f"DEMO #{label}", fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def seed(demo: DemoContext) -> list[str]:
    """The categories, the team with its technician, spare parts, and the week of reports."""
    technician = (await people.people_by_employee_no([TECHNICIAN]))[TECHNICIAN]
    if await repair_catalog.technician_teams(technician):
        return []
    await repair_catalog.save_team(CLI_ACTOR, "WX1", "综合维修班", "D0005", [TECHNICIAN])
    await repair_catalog.ensure_default_categories(CLI_ACTOR)
    for code in ("water", "lighting", "aircon", "doors", "furniture", "other"):
        category = next(c for c in await repair_catalog.list_categories() if c["code"] == code)
        await repair_catalog.save_category(
            CLI_ACTOR,
            code,
            category["name"],
            "WX1",
            Decimal(str(category["accept_hours"])),
            Decimal(str(category["resolve_hours"])),
            False,  # the dispatcher assigns, so the demo shows reports waiting at every step
        )
    await _reports(demo, technician)
    return [
        f"报修：默认类别、综合维修班（维修人员 {TECHNICIAN} 刘洋，调度 D0005 陈静）、备件，"
        f"以及过去一周 {len(REPORTS)} 张各种状态的报修单（带照片）已创建。"
    ]


async def _reports(demo: DemoContext, technician_id: int) -> None:
    at = now()
    categories = {c["code"]: c["id"] for c in await repair_catalog.list_categories()}
    rooms = {name.rsplit(" ", 1)[-1]: place_id for place_id, name in (await places.full_names()).items()}
    part_for: dict[str, int] = {}
    for code, name, unit, stock, low, used_for in PARTS:
        part_for[used_for] = (await parts.create_part(CLI_ACTOR, code, name, unit, low))["id"]
        await parts.stock_in(CLI_ACTOR, part_for[used_for], stock, "演示入库", at - timedelta(days=7))
    reporters = await people.people_by_employee_no(sorted({r[0] for r in REPORTS}))
    technician = await Who.of_cadre(technician_id)
    filed: dict[int, int] = {}  # the demo's report number -> the report's id
    for number, (employee_no, category, room, description, days_ago, steps, colour) in enumerate(REPORTS, start=1):
        reporter = await Who.of_cadre(reporters[employee_no])
        moment = _working_moment(at, days_ago, number)
        photo = await uploads.upload(demo.storage, reporters[employee_no], demo_photo(colour, number), moment)
        report, _ = await workflow.submit(
            reporter, f"demo-{number}", categories[category], rooms[room], "", description, [photo["id"]], moment
        )
        filed[number] = report["id"]
        for step in steps:
            moment = min(moment + timedelta(hours=2), at)
            part = part_for.get(category)
            await _take(step, demo, report["id"], moment, reporter, technician, part, filed[1])
    # What the scheduled check would have found by now: the reports past their time limits.
    await workflow.mark_overdue(at)


def _working_moment(at: datetime, days_ago: int, number: int) -> datetime:
    """A morning `days_ago` working days back (today's: never later than now)."""
    day = at.astimezone(BUSINESS_TZ).date()
    for _ in range(days_ago):
        day -= timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
    return min(datetime.combine(day, time(9, 0), tzinfo=BUSINESS_TZ) + timedelta(minutes=7 * number), at)


async def _take(
    step: str, demo: DemoContext, report_id: int, at: datetime, reporter: Who, tech: Who, part: int | None, first: int
) -> None:
    """One step of a report's life, by whoever takes it in the real workflow."""
    assert tech.id is not None
    if step == "assign":
        await workflow.assign(DISPATCHER, report_id, tech.id, at)
    elif step == "acknowledge":
        await workflow.acknowledge(tech, report_id, at)
    elif step == "start":
        await workflow.start(tech, report_id, at)
    elif step == "resolve":
        after = await uploads.upload(demo.storage, tech.id, demo_photo((210, 230, 210), report_id), at)
        await workflow.resolve(tech, report_id, "已修复，请确认", [after["id"]], [(part, 1)] if part else [], at)
    elif step == "confirm":
        await workflow.confirm(reporter, report_id, 5, "修得很快，谢谢", at)
    elif step == "reopen":
        await workflow.reopen(reporter, report_id, "还在漏水", at)
    elif step == "reject":
        await workflow.close_without_repair(DISPATCHER, report_id, "reject", "不属于维修范围，请走基建申请", at)
    elif step == "mark_duplicate":
        note = "与第一张报修是同一处"
        await workflow.close_without_repair(DISPATCHER, report_id, "mark_duplicate", note, at, duplicate_of=first)
    elif step == "cancel":
        await workflow.close_without_repair(reporter, report_id, "cancel", "自己拧紧了", at)
    else:
        raise ValueError(f"no such demo step: {step}")
