"""Demo data of the places module: one building with two floors and their rooms."""

from __future__ import annotations

from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.places import service

DEMO_BUILDING = "行政中心"
FLOORS = (("1楼", ("101", "102", "食堂")), ("3楼", ("301", "302", "会议室")))


async def seed(demo: DemoContext) -> list[str]:
    """The building 行政中心 with its floors and rooms, unless it is there already."""
    if any(b["name"] == DEMO_BUILDING for b in await service.buildings()):
        return []
    building = await service.create_place(CLI_ACTOR, DEMO_BUILDING, None)
    for floor_name, rooms in FLOORS:
        floor = await service.create_place(CLI_ACTOR, floor_name, building["id"])
        for room in rooms:
            await service.create_place(CLI_ACTOR, room, floor["id"])
    return [f"地点：“{DEMO_BUILDING}”及其楼层、房间已创建。"]
