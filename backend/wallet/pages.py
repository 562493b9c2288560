"""A person's page: roster details (masked), WeChat binding, and, for those who may see them,
their one-card balances, cards and latest movements, with the manual adjustment form (人工调账)
and the cash refund and closing forms (现金退款、销户).
It draws on several modules, so it lives in the console."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.permissions import AccountsPermission
from backend.accounts.service import people as accounts
from backend.console.forms import FormErrors, form_data, submit, yuan_to_fen
from backend.console.render import can, page
from backend.console.session import console_page
from backend.repairs.service import catalog as repair_catalog
from backend.wallet.models import RefundMethod, TransferKind
from backend.wallet.permissions import WalletPermission
from backend.wallet.schemas import AdjustmentIn, CashRefundIn, PayoutIn, WalletCloseIn
from backend.wallet.service import cash_refund, wallets

bp = Blueprint("console_people", url_prefix="/console/people")

HISTORY_LINES = 20
FLASH = {
    "adjusted": "调账已完成，已记入审计日志",
    "replayed": "这笔调账已经提交过，未重复记账",
    "refunded": "退款已登记，请按登记的方式将现金付给本人",
    "refunded_replayed": "这笔退款已经提交过，未重复退款",
    "closed": "已销户：现金已登记退款，餐补已收回，卡片已注销",
    "closed_replayed": "该账户已按这次提交销户，未重复办理",
}
REFUND_METHODS = [(m.value, m.label) for m in RefundMethod]
# Where a service refusal is shown on the refund and closing forms.
REFUND_FIELDS = {"wallet.refund_amount_invalid": "amount", "wallet.refund_reference_required": "payout_reference"}


async def _person_page(
    request: Request,
    person_id: int,
    status: int = 200,
    failed: str = "",
    form: dict | None = None,
    errors: FormErrors | None = None,
):
    """The page; after a refused form, `failed` names that form ("adjust", "refund", "close"),
    which alone shows `form` and `errors`."""
    person = await accounts.get_person(
        runtime(request).cipher, scope(request, AccountsPermission.VIEW_PERSON), person_id
    )
    context = {}
    if can(request, WalletPermission.VIEW_WALLET):
        history = await wallets.history(person_id, 1, HISTORY_LINES)
        context = {
            "wallet": await wallets.wallet_view(person_id),
            "cards": await wallets.list_cards(person_id),
            "history": history,
            "transfer_labels": TransferKind.labels(),
            "refunds": await cash_refund.list_refunds(person_id),
        }
    return await page(
        request,
        "wallet/person.html",
        status=status,
        person=person,
        flash=FLASH.get(request.args.get("done", ""), ""),
        repair_teams=await repair_catalog.team_names_of(person_id),
        can_adjust=can(request, WalletPermission.ADJUST_WALLET),
        can_refund=can(request, WalletPermission.REFUND_CASH),
        refund_methods=REFUND_METHODS,
        failed=failed,
        form=form or {},
        errors=errors or FormErrors(),
        # A fresh key per rendered form: a double click or a resubmitted page acts once, and
        # one form's key never stands for another's.
        form_keys={name: secrets.token_urlsafe(18) for name in ("adjust", "refund", "close")},
        **context,
    )


@bp.get("/<person_id:int>")
@console_page(AccountsPermission.VIEW_PERSON)
async def person_detail(request: Request, person_id: int):
    return await _person_page(request, person_id)


async def _wallet_form(
    request: Request,
    person_id: int,
    permission: str,
    name: str,
    fields: tuple[str, ...],
    check: Callable[[dict, FormErrors], None],
    act: Callable[[dict, str], Awaitable[tuple[str, FormErrors]]],
):
    """One of the money forms: the person within this admin's units, the form's own idempotency
    key, the form-specific checks, then `act(data, key)`; its result names the flash to redirect
    to, or the page comes back with the errors at their fields and nothing changed."""
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
    return await _person_page(
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

    return await _wallet_form(
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

    return await _wallet_form(
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

    return await _wallet_form(
        request, person_id, WalletPermission.REFUND_CASH, "close", ("method", "payout_reference", "reason"), check, act
    )
