"""A person's page: roster details (masked), WeChat binding, and, for those who may see them,
their one-card balances and cards. It draws on several modules, so it lives in the console."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts import service as accounts
from backend.accounts.guards import runtime, scope
from backend.console.render import can, page
from backend.console.session import console_page
from backend.wallet import service as wallets

bp = Blueprint("console_people", url_prefix="/console/people")


@bp.get("/<person_id:int>")
@console_page("accounts.view_person")
async def person_detail(request: Request, person_id: int):
    person = await accounts.get_person(runtime(request).cipher, scope(request, "accounts.view_person"), person_id)
    context = {}
    if can(request, "wallet.view_wallet"):
        context = {"wallet": await wallets.wallet_view(person_id), "cards": await wallets.list_cards(person_id)}
    return await page(request, "person.html", person=person, **context)
