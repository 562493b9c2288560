"""The one adapter to WeChat Pay API v3 (微信支付), for what is paid in the mini-program (wallet
top-ups, the produce shop's orders).

It creates JSAPI orders and hands back the parameters of `wx.requestPayment`, turns WeChat Pay's
notifications into a `PaymentNotice` (支付结果通知) or a `RefundNotice` (退款结果通知) only after
they have proved where they come from, queries an order's state for reconciliation, and asks for
and queries refunds (申请退款, 查询单笔退款).

Built on the maintained `wechatpayv3` package, in its "WeChat Pay public key" mode (微信支付公钥):
unlike the platform-certificate mode it needs no certificate download at construction, so creating
the adapter never touches the network. The base URL is configuration, so tests run it against a
local stand-in of WeChat Pay. `wechatpayv3` is synchronous: every call goes to a thread so the
event loop never waits on WeChat Pay.

Errors:

    WeChatPayError                  anything this adapter raises on purpose
      WeChatPayUnavailable          no usable answer: network error, timeout, 5xx, rate limit
        WeChatPayUntrustedAnswer    an answer whose signature did not verify; treat as no answer
      WeChatPayRejected             WeChat Pay refused the request (4xx): .status, .code
      InvalidNotification           a notification we must not act on: .reason (a Refusal)
"""

from __future__ import annotations

import asyncio
import binascii
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeGuard

import requests
from wechatpayv3 import WeChatPay as _LibraryClient
from wechatpayv3 import WeChatPayType
from wechatpayv3.utils import aes_decrypt, rsa_verify

PRODUCTION_BASE_URL = "https://api.mch.weixin.qq.com"

# A notification further than this from our clock is refused: it may be a replay.
NOTIFICATION_MAX_SKEW_SECONDS = 300

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"

# WeChat Pay's own rule for out_trade_no; checking it here also keeps it from altering the URL
# path it is pasted into.
_OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
# The same for out_refund_no (WeChat Pay allows up to 64 characters, and "@").
_OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{6,64}")


class WeChatPayError(Exception):
    """Base of every error this adapter raises on purpose."""


class WeChatPayUnavailable(WeChatPayError):
    """WeChat Pay did not give a usable answer (network error, timeout, 5xx, rate limit)."""


class WeChatPayUntrustedAnswer(WeChatPayUnavailable):
    """An answer whose WeChat Pay signature did not verify: it may not come from WeChat Pay."""


class WeChatPayRejected(WeChatPayError):
    """WeChat Pay refused the request (a 4xx answer such as PARAM_ERROR or ORDERPAID)."""

    def __init__(self, status: int, code: str | None, message: str | None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Refusal(StrEnum):
    MISSING_HEADER = "missing_header"
    UNSUPPORTED_SIGNATURE_TYPE = "unsupported_signature_type"
    UNKNOWN_SERIAL = "unknown_serial"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED_BODY = "malformed_body"
    UNSUPPORTED_RESOURCE = "unsupported_resource"
    UNDECRYPTABLE = "undecryptable"
    WRONG_MERCHANT = "wrong_merchant"
    INCOMPLETE = "incomplete"


class InvalidNotification(WeChatPayError):
    """A payment notification that did not prove it comes from WeChat Pay, or says too little.

    Answer it with a non-2xx status: a genuine notification that failed only for a passing
    reason is repeated by WeChat Pay.
    """

    def __init__(self, reason: Refusal, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason


@dataclass(frozen=True)
class PaymentNotice:
    """What WeChat Pay says about one of our orders (from a notification or a query).

    `amount_fen` is WeChat Pay's `amount.total`; comparing it with our own order is the caller's
    job. `transaction_id`, `payer_openid` and `success_time` are None until the order is paid.
    """

    out_trade_no: str
    transaction_id: str | None
    trade_state: str
    amount_fen: int
    payer_openid: str | None
    success_time: datetime | None

    @property
    def paid(self) -> bool:
        return self.trade_state == "SUCCESS"


@dataclass(frozen=True)
class RefundNotice:
    """What WeChat Pay says about one of our refunds (from the refund request's answer, a refund
    notification or a query).

    `status` is WeChat Pay's: SUCCESS (the money is back with the payer), PROCESSING, CLOSED or
    ABNORMAL (it did not reach the payer: the refund failed). `refund_fen` is WeChat Pay's
    `amount.refund`; comparing it with our own refund is the caller's job.
    """

    out_trade_no: str
    out_refund_no: str
    refund_id: str | None
    status: str
    refund_fen: int
    total_fen: int
    success_time: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def failed(self) -> bool:
        return self.status in ("CLOSED", "ABNORMAL")


class _Client(_LibraryClient):
    """wechatpayv3's client with every request sent under the configured base URL.

    wechatpayv3 2.0.4 has no base-URL option: its Core builds each URL as `_gate_way + path`,
    with `_gate_way` fixed in Core's constructor. Core is created inside WeChatPay.__init__, so
    the attribute is replaced right after; the package is pinned, and the tests prove every
    request reaches the stand-in.
    """

    def __init__(self, base_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self._core._gate_way = base_url


class WeChatPay:
    """Our merchant account at WeChat Pay (直连商户), paid through the mini-program (JSAPI)."""

    def __init__(
        self,
        mchid: str,
        appid: str,
        merchant_private_key_pem: str,
        merchant_cert_serial: str,
        apiv3_key: str,
        wechatpay_public_key_pem: str,
        wechatpay_public_key_id: str,
        notify_url: str,
        base_url: str = PRODUCTION_BASE_URL,
        timeout: float = 5,
    ):
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key must be 32 bytes (AES-256)")
        if not (mchid and appid and merchant_cert_serial and wechatpay_public_key_id and notify_url):
            raise ValueError("mchid, appid, merchant_cert_serial, public key id and notify_url are required")
        try:
            self._client = _Client(
                base_url.rstrip("/"),
                wechatpay_type=WeChatPayType.JSAPI,
                mchid=mchid,
                private_key=merchant_private_key_pem,
                cert_serial_no=merchant_cert_serial,
                appid=appid,
                apiv3_key=apiv3_key,
                notify_url=notify_url,
                timeout=timeout,
                public_key=wechatpay_public_key_pem,
                public_key_id=wechatpay_public_key_id,
            )
        except Exception as exc:  # wechatpayv3 reports an unloadable key with a bare Exception
            raise ValueError(f"WeChat Pay keys do not load: {exc}") from exc
        self._mchid = mchid
        self._appid = appid
        self._apiv3_key = apiv3_key
        self._public_key = self._client._core._public_key
        self._public_key_id = wechatpay_public_key_id

    # --- orders ---------------------------------------------------------------------------

    async def create_jsapi_order(
        self,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        payer_openid: str,
        time_expire: datetime | None = None,
    ) -> dict[str, str]:
        """Place a JSAPI order and return the parameters the mini-program passes to
        `wx.requestPayment` (appId, timeStamp, nonceStr, package, signType, paySign). With
        `time_expire` (aware), WeChat Pay refuses to take the money after that moment."""
        _check_out_trade_no(out_trade_no)
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise ValueError("amount_fen must be a positive integer")
        if not description or not payer_openid:
            raise ValueError("description and payer_openid are required")
        if time_expire is not None and time_expire.tzinfo is None:
            raise ValueError("time_expire must carry its offset")

        status, answer = await asyncio.to_thread(
            self._request,
            self._client.pay,
            description=description,
            out_trade_no=out_trade_no,
            amount={"total": amount_fen, "currency": "CNY"},
            payer={"openid": payer_openid},
            time_expire=time_expire.isoformat(timespec="seconds") if time_expire else None,
            pay_type=WeChatPayType.JSAPI,
        )
        if status != 200:
            raise _refusal(status, answer)
        prepay_id = answer.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise WeChatPayUnavailable("the JSAPI order was answered without a prepay_id")
        return self._request_payment_params(prepay_id)

    def _request_payment_params(self, prepay_id: str) -> dict[str, str]:
        params = {
            "appId": self._appid,
            "timeStamp": str(int(time.time())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        # wechatpayv3's sign() is RSA-SHA256 over the values, each followed by "\n".
        params["paySign"] = self._client.sign(
            [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]
        )
        return params

    async def query_order(self, out_trade_no: str) -> PaymentNotice | None:
        """What WeChat Pay knows of one of our orders, or None if it knows nothing of it."""
        _check_out_trade_no(out_trade_no)
        status, answer = await asyncio.to_thread(self._request, self._client.query, out_trade_no=out_trade_no)
        if status == 404 or answer.get("code") == "ORDER_NOT_EXISTS":
            return None
        if status != 200:
            raise _refusal(status, answer)
        try:
            return _notice_from_transaction(answer)
        except InvalidNotification as exc:
            raise WeChatPayUnavailable(f"the order query answered an incomplete transaction: {exc}") from exc

    # --- refunds ----------------------------------------------------------------------------

    async def create_refund(
        self, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str
    ) -> RefundNotice:
        """Ask WeChat Pay to refund `refund_fen` of a paid order of `total_fen`
        (POST /v3/refund/domestic/refunds). The answer is usually PROCESSING: the outcome comes
        by a refund notification (sent to our notify URL) or `query_refund`. Asking again with
        the same out_refund_no is answered with the same refund, never a second one."""
        _check_out_trade_no(out_trade_no)
        _check_out_refund_no(out_refund_no)
        for amount in (refund_fen, total_fen):
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise ValueError("refund_fen and total_fen must be positive integers")
        if refund_fen > total_fen:
            raise ValueError("refund_fen cannot exceed total_fen")
        status, answer = await asyncio.to_thread(
            self._request,
            self._client.refund,
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            reason=reason[:80] or None,
        )
        if status != 200:
            raise _refusal(status, answer)
        try:
            return _notice_from_refund(answer)
        except InvalidNotification as exc:
            raise WeChatPayUnavailable(f"the refund was answered incompletely: {exc}") from exc

    async def query_refund(self, out_refund_no: str) -> RefundNotice | None:
        """What WeChat Pay knows of one of our refunds, or None if it knows nothing of it."""
        _check_out_refund_no(out_refund_no)
        status, answer = await asyncio.to_thread(self._request, self._client.query_refund, out_refund_no=out_refund_no)
        if status == 404 or answer.get("code") == "RESOURCE_NOT_EXISTS":
            return None
        if status != 200:
            raise _refusal(status, answer)
        try:
            return _notice_from_refund(answer)
        except InvalidNotification as exc:
            raise WeChatPayUnavailable(f"the refund query answered an incomplete refund: {exc}") from exc

    async def close_order(self, out_trade_no: str) -> None:
        """Close one of our unpaid orders (关闭订单) so that it can no longer be paid. Closing an
        order WeChat Pay never heard of, or one closed already, is done; a paid one raises
        WeChatPayRejected with code ORDERPAID."""
        _check_out_trade_no(out_trade_no)
        status, answer = await asyncio.to_thread(self._request, self._client.close, out_trade_no=out_trade_no)
        if status in (200, 204) or answer.get("code") in ("ORDER_NOT_EXISTS", "ORDERCLOSED"):
            return
        raise _refusal(status, answer)

    def _request(self, call: Callable[..., tuple[int, Any]], **kwargs: Any) -> tuple[int, dict]:
        try:
            status, content = call(**kwargs)
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(str(exc) or type(exc).__name__) from exc
        except Exception as exc:
            # wechatpayv3 verifies every 2xx answer's signature and reports a failure as a bare
            # Exception (or a ValueError for a serial that is not hex); other types are our bugs.
            if type(exc) is Exception or isinstance(exc, ValueError):
                raise WeChatPayUntrustedAnswer(str(exc)) from exc
            raise
        if status >= 500 or status == 429:
            raise WeChatPayUnavailable(f"WeChat Pay answered {status}")
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        try:
            answer = json.loads(content) if content else {}
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if 200 <= status < 300:
                raise WeChatPayUnavailable("WeChat Pay answered something that is not a JSON object")
            answer = {}
        return status, answer

    # --- notifications ----------------------------------------------------------------------

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> PaymentNotice | RefundNotice:
        """The payment (a transaction notification) or the refund (a refund notification:
        REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED) a notification reports, once it has
        proved it comes from WeChat Pay.

        Accepted only if its signature verifies against our WeChat Pay public key (named by
        Wechatpay-Serial), its timestamp is within five minutes of `now`, and its resource
        decrypts with our APIv3 key. Anything else raises InvalidNotification. WeChat Pay
        repeats notifications: applying one idempotently is the caller's job.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp = lowered.get("wechatpay-timestamp")
        nonce = lowered.get("wechatpay-nonce")
        signature = lowered.get("wechatpay-signature")
        serial = lowered.get("wechatpay-serial")
        if not (timestamp and nonce and signature and serial):
            raise InvalidNotification(Refusal.MISSING_HEADER)
        signature_type = lowered.get("wechatpay-signature-type", SIGNATURE_TYPE)
        if signature_type != SIGNATURE_TYPE:
            raise InvalidNotification(Refusal.UNSUPPORTED_SIGNATURE_TYPE, signature_type)
        # Only the key we were configured with is trusted; no certificate is fetched on demand.
        if serial != self._public_key_id:
            raise InvalidNotification(Refusal.UNKNOWN_SERIAL, serial)
        if not timestamp.isdigit():
            raise InvalidNotification(Refusal.BAD_TIMESTAMP, timestamp)
        now = time.time() if now is None else now
        if abs(now - int(timestamp)) > NOTIFICATION_MAX_SKEW_SECONDS:
            raise InvalidNotification(Refusal.STALE_TIMESTAMP, timestamp)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidNotification(Refusal.MALFORMED_BODY, "not UTF-8") from None
        if not rsa_verify(timestamp, nonce, text, signature, self._public_key):
            raise InvalidNotification(Refusal.BAD_SIGNATURE)

        try:
            envelope = json.loads(text)
        except ValueError:
            raise InvalidNotification(Refusal.MALFORMED_BODY, "not JSON") from None
        resource = envelope.get("resource") if isinstance(envelope, dict) else None
        if not isinstance(resource, dict):
            raise InvalidNotification(Refusal.MALFORMED_BODY, "no resource")
        # Payment and refund notifications come to the same URL, told apart by original_type;
        # a refund's event type must agree with it, so neither can pass for the other.
        original_type = resource.get("original_type")
        event_type = envelope.get("event_type")
        if (
            envelope.get("resource_type") != "encrypt-resource"
            or resource.get("algorithm") != "AEAD_AES_256_GCM"
            or original_type not in ("transaction", "refund")
            or (original_type == "refund") != (isinstance(event_type, str) and event_type.startswith("REFUND."))
        ):
            raise InvalidNotification(Refusal.UNSUPPORTED_RESOURCE)
        content = self._decrypt(resource)
        if original_type == "refund":
            # A refund's resource names the merchant only (no appid).
            if content.get("mchid") != self._mchid:
                raise InvalidNotification(Refusal.WRONG_MERCHANT)
            return _notice_from_refund(content)
        if content.get("mchid") != self._mchid or content.get("appid") != self._appid:
            raise InvalidNotification(Refusal.WRONG_MERCHANT)
        return _notice_from_transaction(content)

    def _decrypt(self, resource: dict) -> dict:
        nonce = resource.get("nonce")
        ciphertext = resource.get("ciphertext")
        associated_data = resource.get("associated_data") or ""
        if not (isinstance(nonce, str) and isinstance(ciphertext, str) and isinstance(associated_data, str)):
            raise InvalidNotification(Refusal.MALFORMED_BODY, "resource fields")
        try:
            plaintext = aes_decrypt(nonce, ciphertext, associated_data, self._apiv3_key)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            plaintext = None
        if plaintext is None:
            raise InvalidNotification(Refusal.UNDECRYPTABLE)
        try:
            transaction = json.loads(plaintext)
        except ValueError:
            raise InvalidNotification(Refusal.MALFORMED_BODY, "resource is not JSON") from None
        if not isinstance(transaction, dict):
            raise InvalidNotification(Refusal.MALFORMED_BODY, "resource is not an object")
        return transaction


def _check_out_trade_no(out_trade_no: str) -> None:
    if not isinstance(out_trade_no, str) or not _OUT_TRADE_NO.fullmatch(out_trade_no):
        raise ValueError("out_trade_no must be 6-32 characters of [0-9A-Za-z_-|*]")


def _check_out_refund_no(out_refund_no: str) -> None:
    if not isinstance(out_refund_no, str) or not _OUT_REFUND_NO.fullmatch(out_refund_no):
        raise ValueError("out_refund_no must be 6-64 characters of [0-9A-Za-z_-|*@]")


def _refusal(status: int, answer: dict) -> WeChatPayRejected:
    return WeChatPayRejected(status, answer.get("code"), answer.get("message"))


def _notice_from_transaction(transaction: dict) -> PaymentNotice:
    """A PaymentNotice from WeChat Pay's transaction object, refusing one that lacks a field."""
    amount = transaction.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    out_trade_no = transaction.get("out_trade_no")
    trade_state = transaction.get("trade_state")
    if not (isinstance(out_trade_no, str) and out_trade_no and isinstance(trade_state, str) and trade_state):
        raise InvalidNotification(Refusal.INCOMPLETE, "out_trade_no or trade_state")
    if isinstance(total, bool) or not isinstance(total, int):
        raise InvalidNotification(Refusal.INCOMPLETE, "amount.total")
    payer = transaction.get("payer")
    payer_openid = payer.get("openid") if isinstance(payer, dict) else None
    transaction_id = transaction.get("transaction_id") or None
    success_time = None
    if transaction.get("success_time"):
        try:
            success_time = datetime.fromisoformat(transaction["success_time"])
        except (TypeError, ValueError):
            raise InvalidNotification(Refusal.INCOMPLETE, "success_time") from None
        if success_time.tzinfo is None:
            raise InvalidNotification(Refusal.INCOMPLETE, "success_time without offset")
    if trade_state == "SUCCESS" and not (transaction_id and success_time):
        raise InvalidNotification(Refusal.INCOMPLETE, "a paid transaction without id or time")
    return PaymentNotice(
        out_trade_no=out_trade_no,
        transaction_id=transaction_id,
        trade_state=trade_state,
        amount_fen=total,
        payer_openid=payer_openid,
        success_time=success_time,
    )


def _rfc3339(value: Any, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidNotification(Refusal.INCOMPLETE, name) from None
    if moment.tzinfo is None:
        raise InvalidNotification(Refusal.INCOMPLETE, f"{name} without offset")
    return moment


def _whole(value: object) -> TypeGuard[int]:
    """An integer amount as JSON carries it (a bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _notice_from_refund(refund: dict) -> RefundNotice:
    """A RefundNotice from WeChat Pay's refund object: the answer to a refund request or query
    (`status`) or a refund notification's resource (`refund_status`)."""
    amount = refund.get("amount")
    amounts = amount if isinstance(amount, dict) else {}
    out_trade_no = refund.get("out_trade_no")
    out_refund_no = refund.get("out_refund_no")
    status = refund.get("refund_status") or refund.get("status")
    if not (
        isinstance(out_trade_no, str)
        and out_trade_no
        and isinstance(out_refund_no, str)
        and out_refund_no
        and isinstance(status, str)
        and status
    ):
        raise InvalidNotification(Refusal.INCOMPLETE, "out_trade_no, out_refund_no or status")
    refund_fen, total_fen = amounts.get("refund"), amounts.get("total")
    if not (_whole(refund_fen) and _whole(total_fen)):
        raise InvalidNotification(Refusal.INCOMPLETE, "amount.refund or amount.total")
    success_time = _rfc3339(refund.get("success_time"), "success_time")
    if status == "SUCCESS" and success_time is None:
        raise InvalidNotification(Refusal.INCOMPLETE, "a refund succeeded without its time")
    return RefundNotice(
        out_trade_no=out_trade_no,
        out_refund_no=out_refund_no,
        refund_id=refund.get("refund_id") or None,
        status=status,
        refund_fen=refund_fen,
        total_fen=total_fen,
        success_time=success_time,
    )
