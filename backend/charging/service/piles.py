# H4 TEMPORARY STAND-IN (H3 owns this file, H1 its login block: the lead keeps theirs and drops this one)
"""Stand-in for H3's piles service: only what charging's demo calls, by the binding signatures."""

from __future__ import annotations

from backend.charging.models import Pile, Site, Tag, TagKind
from backend.charging.service import passwords
from backend.fleet.service import records


async def create_site(actor, name, address, lat, lng, power_limit_kw, place_id=None) -> dict:
    site = await Site.create(
        name=name, address=address, lat=lat, lng=lng, power_limit_w=power_limit_kw * 1000, place_id=place_id
    )
    return {"id": site.id, "name": site.name}


async def create_pile(actor, site_id, box_id, name, connectors, max_power_kw) -> tuple[dict, str]:
    password = passwords.new_password()
    pile = await Pile.create(
        site_id=site_id,
        box_id=box_id,
        name=name,
        password_hash=passwords.digest(password),
        connectors=connectors,
        max_power_w=max_power_kw * 1000,
    )
    return {"id": pile.id, "box_id": pile.box_id}, password


async def register_fleet_card(actor, id_tag, plate) -> dict:
    vehicle = await records.chargeable_vehicle(plate)
    assert vehicle is not None
    tag = await Tag.create(id_tag=id_tag, kind=TagKind.FLEET, vehicle_id=vehicle.id)
    return {"id": tag.id, "id_tag": tag.id_tag}
