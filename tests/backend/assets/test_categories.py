"""The tree of asset classes: codes extend their parent's and are unique, a class carries the
default life of its new cards, and a class is deactivated only once nothing active is below it."""

import pytest

from backend.assets.models import AssetCategory
from backend.assets.service import categories
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry


async def test_a_class_under_a_parent_extends_its_code_and_is_found_in_the_parents_subtree(assets_world):
    parent = assets_world.categories["A0201"]

    made = await categories.create_category(CLI_ACTOR, "a020102", "服务器", parent.id, 96)

    assert made["code"] == "A020102" and made["useful_life_months"] == 96
    assert made["id"] in await categories.ids_within(assets_world.categories["A02"].id)
    assert await AuditEntry.filter(action="assets.create_category", object_id=str(made["id"])).exists()


@pytest.mark.parametrize("code", ["A05", "B0201", "A0201X", "A02010", "", "A"])
async def test_a_code_that_does_not_extend_its_parent_or_is_malformed_or_taken_is_refused(assets_world, code):
    parent = assets_world.categories["A0201"]

    with pytest.raises(AppError) as refused:
        await categories.create_category(CLI_ACTOR, code, "某类", parent.id, 0)

    assert refused.value.code == "assets.category_code_invalid"


async def test_a_code_already_used_is_refused_by_name(assets_world):
    with pytest.raises(AppError) as refused:
        await categories.create_category(CLI_ACTOR, "A020101", "计算机", assets_world.categories["A0201"].id, 72)

    assert refused.value.code == "assets.category_code_taken" and "A020101" in refused.value.message


async def test_a_life_beyond_fifty_years_or_negative_is_refused(assets_world):
    for months in (-1, 601):
        with pytest.raises(AppError) as refused:
            await categories.create_category(CLI_ACTOR, "A06", "其他", None, months)
        assert refused.value.code == "assets.category_life_invalid"


async def test_renaming_and_a_new_default_life_are_audited_with_before_and_after(assets_world):
    chair = assets_world.categories["A050105"]

    await categories.update_category(CLI_ACTOR, chair.id, "椅凳", 120)

    saved = await AssetCategory.get(id=chair.id)
    assert (saved.name, saved.useful_life_months) == ("椅凳", 120)
    entry = await AuditEntry.get(action="assets.update_category")
    assert entry.before["name"] == "椅凳类" and entry.after["name"] == "椅凳"


async def test_a_class_with_an_active_class_below_cannot_be_deactivated_until_that_one_is(assets_world):
    furniture, desks, chairs = (assets_world.categories[c] for c in ("A0501", "A050103", "A050105"))

    with pytest.raises(AppError) as refused:
        await categories.update_category(CLI_ACTOR, furniture.id, furniture.name, 0, is_active=False)
    assert refused.value.code == "assets.category_in_use"

    for leaf in (desks, chairs):
        await categories.update_category(CLI_ACTOR, leaf.id, leaf.name, leaf.useful_life_months, is_active=False)
    await categories.update_category(CLI_ACTOR, furniture.id, furniture.name, 0, is_active=False)
    assert [c["code"] for c in await categories.tree(active_only=True)] == ["A02", "A0201", "A020101", "A05"]


async def test_no_class_can_be_added_under_a_deactivated_class(assets_world):
    chairs = assets_world.categories["A050105"]
    await categories.update_category(CLI_ACTOR, chairs.id, chairs.name, 180, is_active=False)

    with pytest.raises(AppError) as refused:
        await categories.create_category(CLI_ACTOR, "A05010501", "折叠椅", chairs.id, 60)

    assert refused.value.code == "assets.category_not_found"


async def test_the_tree_lists_classes_in_code_order_with_their_depth(assets_world):
    rows = await categories.tree()

    assert [(r["code"], r["depth"]) for r in rows][:3] == [("A02", 0), ("A0201", 1), ("A020101", 2)]
