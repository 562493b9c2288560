"""A person's page: roster details (masked), WeChat binding, and, for those who may see them,
their one-card balances, cards and latest movements, with the manual adjustment form (人工调账).
It draws on several modules, so it lives in the console."""

from __future__ import annotations

import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts import service as accounts
from backend.accounts.guards import actor, runtime, scope
from backend.console.forms import FormErrors, form_data, submit, yuan_to_fen
from backend.console.render import can, page
from backend.console.session import console_page
from backend.repairs import catalog as repair_catalog
from backend.wallet import service as wallets
from backend.wallet.schemas import AdjustmentIn

bp = Blueprint("console_people", url_prefix="/console/people")

HISTORY_LINES = 20
TRANSFER_LABELS = {
    "topup": "充值", "canteen_payment": "食堂消费", "canteen_refund": "因错退款", "subsidy_grant": "餐补发放",
    "subsidy_expiry": "餐补清零", "adjustment": "人工调账", "overdraft_advance": "脱机透支垫付",
    "overdraft_repayment": "透支归还",
}
FLASH = {"adjusted": "调账已完成，已记入审计日志", "replayed": "这笔调账已经提交过，未重复记账"}


async def _person_page(request: Request, person_id: int, status: int = 200,
                       form: dict | None = None, errors: FormErrors | None = None):
    person = await accounts.get_person(runtime(request).cipher, scope(request, "accounts.view_person"), person_id)
    context = {}
    if can(request, "wallet.view_wallet"):
        history = await wallets.history(person_id, 1, HISTORY_LINES)
        context = {"wallet": await wallets.wallet_view(person_id), "cards": await wallets.list_cards(person_id),
                   "history": history, "transfer_labels": TRANSFER_LABELS}
    return await page(
        request, "person.html", status=status, person=person, flash=FLASH.get(request.args.get("done", ""), ""),
        repair_teams=await repair_catalog.team_names_of(person_id),
        can_adjust=can(request, "wallet.adjust_wallet"), form=form or {}, errors=errors or FormErrors(),
        # A fresh key per rendered form: a double click or a resubmitted page adjusts once.
        idempotency_key=secrets.token_urlsafe(18), **context,
    )


@bp.get("/<person_id:int>")
@console_page("accounts.view_person")
async def person_detail(request: Request, person_id: int):
    return await _person_page(request, person_id)


@bp.post("/<person_id:int>/adjustments")
@console_page("wallet.adjust_wallet")
async def adjust(request: Request, person_id: int):
    # The person must be within the units this admin may adjust before their money is touched.
    await accounts.get_person(runtime(request).cipher, scope(request, "wallet.adjust_wallet"), person_id)
    data = form_data(request)
    key = data.pop("idempotency_key", "")
    errors = FormErrors()
    yuan_to_fen(data, ("amount",), errors)
    if not errors and not (isinstance(data.get("amount"), int) and data["amount"] > 0):
        errors["amount"] = "请输入大于 0 的金额"
    if data.get("direction") not in ("credit", "debit"):
        errors["direction"] = "请选择增加或扣减"
    if not 8 <= len(key) <= 64:
        errors[""] = "表单已失效，请刷新页面后重新提交"
    if not errors:
        delta = data["amount"] if data["direction"] == "credit" else -data["amount"]
        result, errors = await submit(AdjustmentIn, {"cash_delta_fen": delta, "reason": data.get("reason", "")},
                                      lambda body: wallets.adjust(actor(request), person_id, body.cash_delta_fen,
                                                                  body.reason, key),
                                      {"wallet.adjustment_invalid": "amount"})
        if not errors:
            done = "replayed" if result["replayed"] else "adjusted"
            return redirect(f"/console/people/{person_id}?done={done}")
    return await _person_page(request, person_id, 422, form=request.form and {
        k: request.form.get(k, "") for k in ("direction", "amount", "reason")}, errors=errors)
