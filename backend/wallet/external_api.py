"""The endpoint WeChat Pay calls with payment results (支付结果通知). It carries no session:
the notification proves itself (signature, timestamp, encryption) or changes nothing."""

from __future__ import annotations

import logging

from sanic import Blueprint
from sanic.request import Request
from sanic.response import empty

from backend.accounts.guards import runtime
from backend.core.errors import ErrorCode
from backend.core.web.apidocs import api
from backend.core.wechatpay import InvalidNotification
from backend.wallet.service import topup

bp = Blueprint("wallet_pay_notify", url_prefix="/pay/wechat")
log = logging.getLogger("houqin.topup")


class NotifyError(ErrorCode):
    REFUSED = ("wallet.notification_refused", 401, "支付通知未通过验证")
    NOT_CONFIGURED = ("wallet.topup_not_configured", 503, "在线充值暂未开通")


@bp.post("/notify")
@api("微信支付充值结果通知")
async def notify(request: Request):
    """200 (no body) once the notification is applied or known; 401 when it does not verify, so
    that a forged one changes nothing and a garbled real one is sent again by WeChat Pay."""
    pay = runtime(request).wechatpay
    if pay is None:
        raise NotifyError.NOT_CONFIGURED.error()
    try:
        notice = pay.parse_notification(request.headers, request.body)
    except InvalidNotification as exc:
        log.warning("payment notification refused", extra={"reason": str(exc.reason)})
        raise NotifyError.REFUSED.error() from exc
    result = await topup.apply_notice(notice)
    log.info("payment notification", extra={"out_trade_no": notice.out_trade_no, "result": result})
    return empty(status=204)
