"""The canteen a per-canteen console page is about: the one the URL names, if the admin may see
it, else the first they may; a manager granted one canteen only ever gets that one."""

from __future__ import annotations

from sanic.request import Request

from backend.accounts.guards import scope
from backend.canteen.permissions import CanteenPermission
from backend.canteen.service import canteens


async def chosen_canteen(request: Request) -> tuple[dict | None, list[dict]]:
    """(the chosen canteen or None when the admin sees none, every canteen they may see)."""
    visible = await canteens.list_canteens(scope=scope(request, CanteenPermission.VIEW_PAYMENT))
    asked = request.args.get("canteen", "")
    chosen = next((c for c in visible if c["code"] == asked), visible[0] if visible else None)
    return chosen, visible


def manages(request: Request, canteen: dict | None) -> bool:
    """Whether the admin may change this canteen's dishes and menus."""
    manage = CanteenPermission.MANAGE_CANTEEN
    return (
        canteen is not None
        and request.ctx.principal.can(manage)
        and scope(request, manage).reaches_object(canteen["id"])
    )
