"""The endpoint WeChat Pay calls with payment and refund results (支付结果通知、退款结果通知) for
every module's orders. It carries no session: the notification proves itself (signature,
timestamp, encryption) or changes nothing. A verified notice goes to the module that declared
its out_trade_no's prefix (`wechatpay_orders` in module.py: "TU" top-ups here, "SP" the shop)."""

from __future__ import annotations

import logging

from sanic import Blueprint
from sanic.request import Request
from sanic.response import empty

from backend.accounts.guards import runtime
from backend.core.errors import ErrorCode
from backend.core.modules import resolve
from backend.core.web.apidocs import api
from backend.core.wechatpay import InvalidNotification, RefundNotice

bp = Blueprint("wallet_pay_notify", url_prefix="/pay/wechat")
log = logging.getLogger("houqin.topup")


class NotifyError(ErrorCode):
    REFUSED = ("wallet.notification_refused", 401, "支付通知未通过验证")
    NOT_CONFIGURED = ("wallet.topup_not_configured", 503, "在线充值暂未开通")


@bp.post("/notify")
@api("微信支付结果与退款结果通知")
async def notify(request: Request):
    """204 (no body) once the notification is applied or known; 401 when it does not verify, so
    that a forged one changes nothing and a garbled real one is sent again by WeChat Pay. A
    verified notice of a prefix nobody declared is logged and acknowledged: repeating it would
    not find an owner either."""
    pay = runtime(request).wechatpay
    if pay is None:
        raise NotifyError.NOT_CONFIGURED.error()
    try:
        notice = pay.parse_notification(request.headers, request.body)
    except InvalidNotification as exc:
        log.warning("payment notification refused", extra={"reason": str(exc.reason)})
        raise NotifyError.REFUSED.error() from exc
    owner = request.app.ctx.platform.wechatpay_orders.get(notice.out_trade_no[:2])
    is_refund = isinstance(notice, RefundNotice)
    handler = (owner.refunded if is_refund else owner.paid) if owner else None
    if handler is None:
        log.error(
            "notification for orders no module declares",
            extra={"out_trade_no": notice.out_trade_no, "refund": is_refund},
        )
        return empty(status=204)
    result = await resolve(handler)(notice)
    log.info("payment notification", extra={"out_trade_no": notice.out_trade_no, "refund": is_refund, "result": result})
    return empty(status=204)
