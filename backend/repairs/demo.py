"""Demo data of the repairs module: the usual categories with their time limits and a
maintenance team (the building reports are filed in is the places module's demo)."""

from __future__ import annotations

from decimal import Decimal

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.crypto import FieldCipher
from backend.repairs.service import catalog as repair_catalog


async def seed(cipher: FieldCipher) -> list[str]:
    """The usual repair categories and a maintenance team with a technician."""
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
    return ["报修：默认类别、综合维修班（维修人员 D0004 刘洋，调度 D0005 陈静）已创建。"]
