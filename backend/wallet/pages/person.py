"""The wallet's part of a person's console page: their one-card balances, cards and latest
movements, and the manual adjustment (人工调账), cash refund and closing (现金退款、销户) forms,
which post here and come back to the person's page with their errors. The card desk's forms
(发卡、补卡、挂失、解挂、注销) post to `cards.py`, and the full statement is `statement.py`."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.service import people as accounts
from backend.console.forms import FormErrors, form_data, submit, yuan_to_fen
from backend.console.person import person_page
from backend.console.session import console_page
from backend.core.permissions import AdminPrincipal, Permission
from backend.wallet.models import RefundMethod, TransferKind
from backend.wallet.permissions import WalletPermission
from backend.wallet.schemas import AdjustmentIn, CashRefundIn, PayoutIn, WalletCloseIn
from backend.wallet.service import cash_refund, wallets

bp = Blueprint("wallet_pages", url_prefix="/console/people")

HISTORY_LINES = 20
REFUND_METHODS = [(m.value, m.label) for m in RefundMethod]
# Where a service refusal is shown on the refund and closing forms.
REFUND_FIELDS = {"wallet.refund_amount_invalid": "amount", "wallet.refund_reference_required": "payout_reference"}


async def person_section(principal: AdminPrincipal, person: dict) -> dict:
    """The one-card part of a person's page: balances, cards, latest movements, refunds, and the
    money forms this admin may use, each with a fresh idempotency key per rendered form (a double
    click or a resubmitted page acts once, and one form's key never stands for another's)."""
    person_id = person["id"]
    cards = await wallets.list_cards(person_id)
    # A person who has left was settled by their departure: the desk has nothing left to do.
    serving = person["is_active"]
    return {
        "wallet": await wallets.wallet_view(person_id),
        "cards": cards,
        # The cards a replacement (补卡) may stand in for: (id, what the desk's select shows).
        "live_cards": [(str(c["id"]), f"{c['uid']}（{c['state_label']}）") for c in cards if c["state"] != "cancelled"],
        "history": await wallets.history(person_id, 1, HISTORY_LINES),
        "transfer_labels": TransferKind.labels(),
        "refunds": await cash_refund.list_refunds(person_id),
        "refund_methods": REFUND_METHODS,
        "can_adjust": serving and principal.can(WalletPermission.ADJUST_WALLET),
        "can_refund": serving and principal.can(WalletPermission.REFUND_CASH),
        "can_manage_card": serving and principal.can(WalletPermission.MANAGE_CARD),
        "form_keys": {
            name: secrets.token_urlsafe(18) for name in ("adjust", "refund", "close", "issue_card", "replace_card")
        },
    }


async def wallet_form(
    request: Request,
    person_id: int,
    permission: Permission,
    name: str,
    fields: tuple[str, ...],
    check: Callable[[dict, FormErrors], None],
    act: Callable[[dict, str], Awaitable[tuple[str, FormErrors]]],
):
    """One of the money or card forms: the person within this admin's units, the form's own
    idempotency key, the form-specific checks, then `act(data, key)`; its result names the flash
    to redirect to, or the page comes back with the errors at their fields and nothing changed."""
    # The person must be within the units this admin may act on before their money is touched.
    await accounts.get_person(runtime(request).cipher, scope(request, permission), person_id)
    data = form_data(request)
    key = data.pop("idempotency_key", "")
    errors = FormErrors()
    check(data, errors)
    if not 8 <= len(key) <= 64:
        errors[""] = "表单已失效，请刷新页面后重新提交"
    if not errors:
        done, errors = await act(data, key)
        if not errors:
            return redirect(f"/console/people/{person_id}?done={done}")
    return await person_page(
        request,
        person_id,
        422,
        failed=name,
        form=request.form and {k: request.form.get(k, "") for k in fields},
        errors=errors,
    )


def _positive_yuan(data: dict, errors: FormErrors) -> None:
    yuan_to_fen(data, ("amount",), errors)
    if not errors and not (isinstance(data.get("amount"), int) and data["amount"] > 0):
        errors["amount"] = "请输入大于 0 的金额"


async def _submit_payout(
    schema: type[PayoutIn], data: dict, run: Callable[[Any], Awaitable[dict]], done: str
) -> tuple[str, FormErrors]:
    fields = {k: data[k] for k in ("amount_fen", "method", "payout_reference", "reason") if k in data}
    result, errors = await submit(schema, fields, run, REFUND_FIELDS)
    return (f"{done}_replayed" if result and result["replayed"] else done), errors


@bp.post("/<person_id:int>/adjustments")
@console_page(WalletPermission.ADJUST_WALLET)
async def adjust(request: Request, person_id: int):
    def check(data: dict, errors: FormErrors) -> None:
        _positive_yuan(data, errors)
        if data.get("direction") not in ("credit", "debit"):
            errors["direction"] = "请选择增加或扣减"

    async def act(data: dict, key: str) -> tuple[str, FormErrors]:
        delta = data["amount"] if data["direction"] == "credit" else -data["amount"]
        result, errors = await submit(
            AdjustmentIn,
            {"cash_delta_fen": delta, "reason": data.get("reason", "")},
            lambda body: wallets.adjust(actor(request), person_id, body.cash_delta_fen, body.reason, key),
            {"wallet.adjustment_invalid": "amount"},
        )
        return ("replayed" if result and result["replayed"] else "adjusted"), errors

    return await wallet_form(
        request, person_id, WalletPermission.ADJUST_WALLET, "adjust", ("direction", "amount", "reason"), check, act
    )


@bp.post("/<person_id:int>/cash-refunds")
@console_page(WalletPermission.REFUND_CASH)
async def refund_cash(request: Request, person_id: int):
    async def act(data: dict, key: str) -> tuple[str, FormErrors]:
        return await _submit_payout(
            CashRefundIn,
            {**data, "amount_fen": data["amount"]},
            lambda body: cash_refund.refund_cash(actor(request), person_id, body.amount_fen, body.payout(), key),
            "refunded",
        )

    return await wallet_form(
        request,
        person_id,
        WalletPermission.REFUND_CASH,
        "refund",
        ("amount", "method", "payout_reference", "reason"),
        _positive_yuan,
        act,
    )


@bp.post("/<person_id:int>/close")
@console_page(WalletPermission.REFUND_CASH)
async def close_wallet(request: Request, person_id: int):
    def check(data: dict, errors: FormErrors) -> None:
        if data.get("confirm") != "on":
            errors["confirm"] = "请勾选确认：销户后卡片全部注销，餐补不退"

    async def act(data: dict, key: str) -> tuple[str, FormErrors]:
        return await _submit_payout(
            WalletCloseIn,
            data,
            lambda body: cash_refund.close_wallet(actor(request), person_id, body.payout(), key),
            "closed",
        )

    return await wallet_form(
        request, person_id, WalletPermission.REFUND_CASH, "close", ("method", "payout_reference", "reason"), check, act
    )
