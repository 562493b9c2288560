"""Console page of meal subsidies (餐补): the rules per unit and staff category (amount per month
typed in yuan, whether what is left clears at month end), set, changed or switched off; the
monthly grant run from the page for a month, once per rendered form; and each run's result (how
many granted, the total, and every person it failed for with the reason)."""

from __future__ import annotations

import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.accounts.service import people
from backend.accounts.service.people import StaffCategory
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import flash, page
from backend.console.session import console_page
from backend.core.money import yuan_text
from backend.core.permissions import Scope
from backend.core.timeutil import now
from backend.wallet.permissions import WalletPermission
from backend.wallet.schemas import SubsidyRuleIn, SubsidyRuleKeyIn, SubsidyRunIn
from backend.wallet.service import subsidy

bp = Blueprint("wallet_subsidy_pages", url_prefix="/console/wallet/subsidy")

MANAGE = WalletPermission.MANAGE_SUBSIDY
FLASH = {
    "rule_saved": "餐补规则已保存，下次发放起按新规则",
    "rule_off": "餐补规则已停用，其人员改按上级单位的规则（如有）",
    "granted": "本月餐补已发放，结果如下",
    "replayed": "这次发放已经提交过，未重复发放，结果如下",
}
RULE_FIELDS = {"wallet.subsidy_unit_not_found": "unit_code", "wallet.subsidy_amount_invalid": "amount_fen"}
GRANT_FIELDS = {
    "wallet.subsidy_month_invalid": "month",
    "wallet.subsidy_month_in_future": "month",
    "wallet.subsidy_key_used_elsewhere": "",
}
CATEGORIES = StaffCategory.labels()


async def _subsidy_page(request: Request, status: int = 200, **forms):
    units = await people.list_units(Scope.EVERYTHING)
    rules = await subsidy.list_rules()
    editing = next(
        (
            r
            for r in rules
            if r["unit"] == request.args.get("unit") and r["staff_category"] == request.args.get("category")
        ),
        None,
    )
    rule_form = forms.get("rule_form") or (
        {
            "unit_code": editing["unit"],
            "staff_category": editing["staff_category"],
            "amount_fen": yuan_text(editing["amount_fen"]),
            "expires_monthly": "on" if editing["expires_monthly"] else "",
        }
        if editing
        else {"expires_monthly": "on"}
    )
    return await page(
        request,
        "wallet/subsidy.html",
        status=status,
        rules=rules,
        unit_names={u["code"]: u["name"] for u in units},
        unit_options=[(u["code"], "　" * u["depth"] + f"{u['name']}（{u['code']}）") for u in units],
        categories=CATEGORIES,
        runs=await subsidy.list_runs(),
        flash=flash(request, FLASH),
        rule_form=rule_form,
        rule_errors=forms.get("rule_errors", FormErrors()),
        grant_form=forms.get("grant_form") or {"month": subsidy.month_of(now())},
        grant_errors=forms.get("grant_errors", FormErrors()),
        # A fresh key per rendered form: a double click or a resubmitted page runs the grant once.
        grant_key=secrets.token_urlsafe(18),
    )


@bp.get("")
@console_page(MANAGE)
async def subsidy_page(request: Request):
    return await _subsidy_page(request)


@bp.post("/rules")
@console_page(MANAGE)
async def set_rule(request: Request):
    data = form_data(request)
    data["expires_monthly"] = data.get("expires_monthly") == "on"
    _, errors = await submit(
        SubsidyRuleIn,
        data,
        lambda body: subsidy.set_rule(
            actor(request), body.unit_code, body.staff_category, body.amount_fen, body.expires_monthly
        ),
        RULE_FIELDS,
        yuan=("amount_fen",),
    )
    if not errors:
        return redirect("/console/wallet/subsidy?done=rule_saved")
    return await _subsidy_page(request, 422, rule_form=posted(request), rule_errors=errors)


@bp.post("/rules/deactivate")
@console_page(MANAGE)
async def deactivate_rule(request: Request):
    _, errors = await submit(
        SubsidyRuleKeyIn,
        form_data(request),
        lambda body: subsidy.deactivate_rule(actor(request), body.unit_code, body.staff_category),
    )
    if not errors:
        return redirect("/console/wallet/subsidy?done=rule_off")
    return await _subsidy_page(request, 422, rule_errors=FormErrors({"": "；".join(errors.values())}))


@bp.post("/grants")
@console_page(MANAGE)
async def run_grant(request: Request):
    """Grant a month now, as the job of the first of the month would; people already granted are
    skipped, and a second submission of the same form runs nothing."""
    data = form_data(request)
    key = data.pop("idempotency_key", "")
    if not 8 <= len(key) <= 64:
        errors = FormErrors({"": "表单已失效，请刷新页面后重新提交"})
        return await _subsidy_page(request, 422, grant_form=posted(request), grant_errors=errors)
    run, errors = await submit(
        SubsidyRunIn,
        data,
        lambda body: subsidy.run_grant(actor(request), body.month, now(), key),
        GRANT_FIELDS,
    )
    if errors.get("month") == "格式不正确":
        errors["month"] = "请选择月份"
    if not errors:
        done = "replayed" if run["replayed"] else "granted"
        return redirect(f"/console/wallet/subsidy/runs/{run['id']}?done={done}")
    return await _subsidy_page(request, 422, grant_form=posted(request), grant_errors=errors)


@bp.get("/runs/<run_id:int>")
@console_page(MANAGE)
async def run_detail(request: Request, run_id: int):
    run = await subsidy.get_run(run_id)
    return await page(request, "wallet/subsidy_run.html", run=run, flash=flash(request, FLASH))
