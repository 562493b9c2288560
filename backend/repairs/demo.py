"""Demo data of the repairs module: the usual categories with their time limits, a maintenance
team, and one building with its floors and rooms."""

from __future__ import annotations

from decimal import Decimal

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.crypto import FieldCipher
from backend.repairs.service import catalog as repair_catalog


async def seed(cipher: FieldCipher) -> list[str]:
    """The usual repair categories, a maintenance team with a technician, and one building."""
    technician = (await people.people_by_employee_no(["D0004"]))["D0004"]
    if await repair_catalog.technician_teams(technician):
        return []
    await repair_catalog.save_team(CLI_ACTOR, "WX1", "综合维修班", "D0005", ["D0004"])
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
            code == "lighting",
        )
    building = await repair_catalog.create_location(CLI_ACTOR, "行政中心", None)
    for floor_name, rooms in (("1楼", ("101", "102", "食堂")), ("3楼", ("301", "302", "会议室"))):
        floor = await repair_catalog.create_location(CLI_ACTOR, floor_name, building["id"])
        for room in rooms:
            await repair_catalog.create_location(CLI_ACTOR, room, floor["id"])
    return ["报修：默认类别、综合维修班（维修人员 D0004 刘洋，调度 D0005 陈静）与“行政中心”楼层房间已创建。"]
