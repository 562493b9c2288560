"""A person leaving (离职) through accounts' leave form: their asset-officer role stops, the
assets in their custody stay where they are with no custodian (in the card's history), and they
are taken out of their office, so the area standard no longer counts them."""

from __future__ import annotations

from backend.accounts.service import leaving
from backend.assets.models import Asset, AssetMove, AssetOfficer
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.places import service as places


def everything(_permission) -> Scope:
    return Scope.EVERYTHING


async def test_leaving_stops_the_officer_role_clears_custody_and_the_office(assets_world):
    w = assets_world
    zhang = w.people["D0001"]
    await AssetOfficer.create(person_id=zhang, unit_id=w.units["FGW-BGS"])
    [part] = [
        p for p in await leaving.preview_leaving(Scope.EVERYTHING, zhang, everything) if p.title == "资产与办公用房"
    ]
    assert part.lines == [
        "停用资产管理员身份（1 个单位）",
        "保管的 1 件资产改为无使用人，仍记在原单位、原房间",
        "从 A座 3楼 301 的使用人中移出",
    ]

    await leaving.leave_person(CLI_ACTOR, Scope.EVERYTHING, zhang, "调出本市", {}, "leave-assets-1", everything)

    assert not await AssetOfficer.filter(person_id=zhang, is_active=True).exists()
    pc = await Asset.get(id=w.assets["pc"].id)
    assert (pc.custodian_id, pc.unit_id, pc.place_id) == (None, w.units["FGW-BGS"], w.places["301"])
    move = await AssetMove.filter(asset_id=pc.id).order_by("-id").first()
    assert (move.from_custodian_id, move.to_custodian_id, move.note) == (zhang, None, "使用人离职")
    assert await places.rooms_of(zhang) == {}


async def test_a_person_with_nothing_here_is_not_shown_this_part(assets_world):
    parts = await leaving.preview_leaving(Scope.EVERYTHING, assets_world.people["D0005"], everything)
    assert "资产与办公用房" not in [p.title for p in parts]
