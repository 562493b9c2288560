"""The card desk on a person's console page (发卡、补卡、挂失、解挂、注销): forms that post here
and come back to the person's page, with a flash when done or the refusal at its field.

A card's UID is typed, or read by a desktop reader that types it like a keyboard and presses
Enter. Issuing and replacing carry the rendered form's idempotency key, so a double click issues
one card; reporting lost, unlocking and cancelling sent twice find the card already in the state
asked for, and say so without changing or auditing anything again.
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.service import people as accounts
from backend.console.forms import FormErrors, submit
from backend.console.person import person_page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.wallet.errors import WalletError
from backend.wallet.models import CardState
from backend.wallet.pages.person import wallet_form
from backend.wallet.permissions import WalletPermission
from backend.wallet.schemas import CardIssueIn, CardReplaceIn
from backend.wallet.service import wallets

bp = Blueprint("wallet_card_pages", url_prefix="/console/people")

# Where a service refusal is shown on the issue and replace forms.
UID_REFUSALS = ("card_uid_invalid", "card_uid_taken", "card_uid_held", "person_has_active_card")
CARD_FIELDS = {f"wallet.{reason}": "uid" for reason in UID_REFUSALS} | {
    WalletError.CARD_NOT_FOUND.code: "card_id",
    WalletError.CARD_STATE_CONFLICT.code: "card_id",
}
# Where a refusal of a state change is shown: beside the card's row, or above the cards when
# the card is not this person's.
CARD_STATE_FIELDS = {WalletError.CARD_STATE_CONFLICT.code: "card_{card_id}", WalletError.CARD_NOT_FOUND.code: ""}
# The desk's state changes, by the last part of their path: (state, flash).
STATE_CHANGES = {
    "lost": (CardState.LOST, "card_lost"),
    "unlock": (CardState.ACTIVE, "card_unlocked"),
    "cancel": (CardState.CANCELLED, "card_cancelled"),
}


def _uid_given(data: dict, errors: FormErrors) -> None:
    if not data.get("uid"):
        errors["uid"] = "请刷卡或输入卡号"


def _done(result: dict | None, done: str) -> str:
    return f"{done}_replayed" if result and result["replayed"] else done


@bp.post("/<person_id:int>/cards")
@console_page(WalletPermission.MANAGE_CARD)
async def issue_card(request: Request, person_id: int):
    async def act(data: dict, key: str) -> tuple[str, FormErrors]:
        result, errors = await submit(
            CardIssueIn,
            {"uid": data["uid"]},
            lambda body: wallets.issue_card(actor(request), person_id, body.uid, idempotency_key=key),
            CARD_FIELDS,
        )
        return _done(result, "card_issued"), errors

    return await wallet_form(request, person_id, WalletPermission.MANAGE_CARD, "issue_card", ("uid",), _uid_given, act)


@bp.post("/<person_id:int>/cards/replace")
@console_page(WalletPermission.MANAGE_CARD)
async def replace_card(request: Request, person_id: int):
    def check(data: dict, errors: FormErrors) -> None:
        if not data.get("card_id"):
            errors["card_id"] = "请选择要补办的卡"
        _uid_given(data, errors)

    async def act(data: dict, key: str) -> tuple[str, FormErrors]:
        result, errors = await submit(
            CardReplaceIn,
            {"card_id": data["card_id"], "uid": data["uid"]},
            lambda body: wallets.replace_card(actor(request), person_id, body.card_id, body.uid, key),
            CARD_FIELDS,
        )
        return _done(result, "card_replaced"), errors

    return await wallet_form(
        request, person_id, WalletPermission.MANAGE_CARD, "replace_card", ("card_id", "uid"), check, act
    )


@bp.post("/<person_id:int>/cards/<card_id:int>/<change:lost|unlock|cancel>")
@console_page(WalletPermission.MANAGE_CARD)
async def change_card_state(request: Request, person_id: int, card_id: int, change: str):
    """挂失、解挂、注销 of one of the person's cards."""
    await accounts.get_person(runtime(request).cipher, scope(request, WalletPermission.MANAGE_CARD), person_id)
    state, done = STATE_CHANGES[change]
    try:
        card = await wallets.change_card_state(person_id, card_id, state, actor(request), repeat_ok=True)
    except AppError as refusal:
        if refusal.code not in CARD_STATE_FIELDS:
            raise
        field = CARD_STATE_FIELDS[refusal.code].format(card_id=card_id)
        return await person_page(
            request, person_id, 422, failed="card_state", errors=FormErrors({field: refusal.message})
        )
    return redirect(f"/console/people/{person_id}?done={done if card['changed'] else f'{done}_already'}")
