"""Repairs fixtures for any test: categories, a building with a floor and a room, a team with
its technician (刘洋, D0004) and dispatcher (陈静, D0005), and photos made on the spot."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

import pytest

from backend.core.audit import CLI_ACTOR
from backend.repairs.service import catalog
from tests.helpers import bearer, jpeg, seed_units_and_roster


@dataclass
class RepairsWorld:
    water: int
    lighting: int
    building: int
    floor: int
    room: int


@pytest.fixture
async def repairs_world(app, runtime) -> RepairsWorld:
    await seed_units_and_roster(runtime.cipher)
    await catalog.save_team(CLI_ACTOR, "WX1", "水电班", "D0005", ["D0004"])
    water = await catalog.save_category(CLI_ACTOR, "water", "水电", "WX1", Decimal(2), Decimal(16), False)
    lighting = await catalog.save_category(CLI_ACTOR, "lighting", "照明", "WX1", Decimal(2), Decimal(8), True)
    building = await catalog.create_location(CLI_ACTOR, "市民中心A座", None)
    floor = await catalog.create_location(CLI_ACTOR, "3楼", building["id"])
    room = await catalog.create_location(CLI_ACTOR, "301", floor["id"])
    return RepairsWorld(water["id"], lighting["id"], building["id"], floor["id"], room["id"])


async def upload(client, token: str, data: bytes | None = None, name: str = "photo.jpg"):
    return await client.post(
        "/mp/v1/repairs/photos",
        headers=bearer(token),
        files={"file": (name, data if data is not None else jpeg(), "image/jpeg")},
    )


async def file_report(client, token: str, category_id: int, location_id: int | None = None, **fields):
    body = {
        "client_ref": secrets.token_hex(8),
        "category_id": category_id,
        "location_id": location_id,
        "description": "卫生间水龙头漏水",
        **fields,
    }
    return await client.post("/mp/v1/repairs", headers=bearer(token), json=body)
