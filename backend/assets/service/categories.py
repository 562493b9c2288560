"""The tree of asset classes (资产分类), following the national classification of fixed assets
(GB/T 14885): a class code is a capital letter and pairs of digits, each level adding digits to
its parent's code (A02 设备 > A0201 信息化设备 > A020101 计算机). A class carries the default useful
life for new cards. Classes are renamed and deactivated, never deleted or moved: cards keep
pointing at the class they were registered in. The classes are the bureau's, platform-wide."""

from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.assets.errors import AssetsError
from backend.assets.models import AssetCategory
from backend.core.audit import Actor, record

CODE = re.compile(r"^[A-Z](\d\d){1,7}$")
MOST_LIFE_MONTHS = 600  # 50 years: longer than any class of the standard


def category_view(category: AssetCategory) -> dict:
    return {
        "id": category.id,
        "parent_id": category.parent_id,
        "code": category.code,
        "name": category.name,
        "useful_life_months": category.useful_life_months,
        "is_active": category.is_active,
    }


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise AssetsError.CATEGORY_NAME_INVALID.error()
    return name


def _life(months: int) -> int:
    if not 0 <= months <= MOST_LIFE_MONTHS:
        raise AssetsError.CATEGORY_LIFE_INVALID.error()
    return months


async def create_category(actor: Actor, code: str, name: str, parent_id: int | None, useful_life_months: int) -> dict:
    """A class under `parent_id` (an active class), or a top class; its code must extend the
    parent's and be unused."""
    code, name, life = (code or "").strip().upper(), _name(name), _life(useful_life_months)
    async with in_transaction() as conn:
        parent = None
        if parent_id is not None:
            parent = await AssetCategory.get_or_none(id=parent_id, is_active=True).using_db(conn)
            if parent is None:
                raise AssetsError.CATEGORY_NOT_FOUND.error()
        prefix = parent.code if parent else ""
        if not CODE.match(code) or not code.startswith(prefix) or len(code) <= len(prefix):
            raise AssetsError.CATEGORY_CODE_INVALID.error()
        if await AssetCategory.filter(code=code).using_db(conn).exists():
            raise AssetsError.CATEGORY_CODE_TAKEN.error(code=code)
        try:
            category = await AssetCategory.create(
                code=code, name=name, parent=parent, path="", useful_life_months=life, using_db=conn
            )
        except IntegrityError:  # the same code saved at the same moment
            raise AssetsError.CATEGORY_CODE_TAKEN.error(code=code) from None
        category.path = f"{parent.path if parent else '/'}{category.id}/"
        await category.save(using_db=conn, update_fields=["path"])
        after = category_view(category)
        await record(conn, actor, "assets.create_category", "asset_category", category.id, after=after)
    return after


async def update_category(
    actor: Actor, category_id: int, name: str, useful_life_months: int, is_active: bool = True
) -> dict:
    """Rename a class, set its default life (for cards registered from now on), or deactivate it
    (no new cards in it; refused while an active class is below it) and back."""
    name, life = _name(name), _life(useful_life_months)
    async with in_transaction() as conn:
        category = await AssetCategory.filter(id=category_id).using_db(conn).select_for_update().first()
        if category is None:
            raise AssetsError.CATEGORY_NOT_FOUND.error()
        if not is_active and category.is_active:
            below = AssetCategory.filter(path__startswith=category.path, is_active=True).exclude(id=category.id)
            if await below.using_db(conn).exists():
                raise AssetsError.CATEGORY_IN_USE.error()
        if is_active and not category.is_active and category.parent_id is not None:
            if not await AssetCategory.filter(id=category.parent_id, is_active=True).using_db(conn).exists():
                raise AssetsError.CATEGORY_NOT_FOUND.error()
        before = category_view(category)
        category.name, category.useful_life_months, category.is_active = name, life, is_active
        await category.save(using_db=conn, update_fields=["name", "useful_life_months", "is_active"])
        after = category_view(category)
        await record(conn, actor, "assets.update_category", "asset_category", category_id, before, after)
    return after


async def tree(*, active_only: bool = False) -> list[dict]:
    """The classes in code order (which is tree order: a child's code extends its parent's),
    each with its `depth` (0 for a top class)."""
    query = AssetCategory.filter(is_active=True) if active_only else AssetCategory.all()
    return [
        {**category_view(c), "depth": c.path.count("/") - 2, "label": f"{c.code} {c.name}"}
        for c in await query.order_by("code")
    ]


async def active_category(category_id: int, conn: Any = None) -> AssetCategory:
    """The class, if it exists and is active (raises assets.category_not_found otherwise)."""
    category = await AssetCategory.get_or_none(id=category_id, is_active=True).using_db(conn)
    if category is None:
        raise AssetsError.CATEGORY_NOT_FOUND.error()
    return category


async def ids_within(category_id: int) -> list[int]:
    """The ids of the class and every class below it, active or not (none for an unknown id)."""
    path = await AssetCategory.filter(id=category_id).values_list("path", flat=True)
    if not path:
        return []
    return list(await AssetCategory.filter(path__startswith=path[0]).values_list("id", flat=True))
