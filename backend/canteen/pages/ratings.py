"""Console page of dish ratings (菜品评价): each dish's average score and number of ratings, the
lowest-rated first on request, and the latest comments, of all dishes or of one. A manager
granted one canteen sees that canteen's ratings only."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import scope
from backend.canteen.pages.canteen_choice import chosen_canteen
from backend.canteen.permissions import CanteenPermission
from backend.canteen.service import menus
from backend.console.render import page
from backend.console.session import console_page

bp = Blueprint("console_canteen_ratings", url_prefix="/console/canteen/ratings")

VIEW = CanteenPermission.VIEW_PAYMENT
RECENT = 30


@bp.get("")
@console_page(VIEW)
async def ratings(request: Request):
    canteen, visible = await chosen_canteen(request)
    low_first = request.args.get("order") == "low"
    context: dict = {"canteen": canteen, "canteens": visible, "low_first": low_first}
    if canteen is not None:
        viewable = scope(request, VIEW)
        summaries = await menus.rating_summaries(canteen["code"], scope=viewable, low_first=low_first)
        dish = next((d for d in summaries if str(d["id"]) == request.args.get("dish")), None)
        context.update(
            summaries=summaries,
            dish=dish,
            recent=(
                (await menus.dish_ratings(dish["id"], scope=viewable))["recent"]
                if dish
                else await menus.recent_ratings(canteen["code"], scope=viewable, limit=RECENT)
            ),
        )
    return await page(request, "canteen/ratings.html", **context)
