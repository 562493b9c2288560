"""A local stand-in of WeChat Pay API v3 (微信支付), speaking its real HTTP shapes.

Answers POST /v3/pay/transactions/jsapi (a prepay_id),
GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=... (the transaction, or 404
ORDER_NOT_EXISTS), POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close (closes an unpaid
order; 400 ORDERPAID for a paid one), POST /v3/refund/domestic/refunds (a refund of a paid order, PROCESSING) and
GET /v3/refund/domestic/refunds/{out_refund_no} (the refund, or 404 RESOURCE_NOT_EXISTS), every
answer signed with the stand-in's own "WeChat Pay public key" the way
WeChat Pay signs them (Wechatpay-Timestamp/-Nonce/-Signature/-Serial headers), so wechatpayv3's
answer verification runs for real. It checks only that a request carries a merchant
Authorization header, not its signature.

Tests drive it from Python: `mark_paid` pays an order, `build_notification` makes the signed,
AES-256-GCM-encrypted TRANSACTION.SUCCESS notification WeChat Pay would POST to notify_url;
`finish_refund` settles a refund (SUCCESS, CLOSED or ABNORMAL) and `build_refund_notification`
makes the REFUND.* notification that reports it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MCHID = "1900000109"
APPID = "wx-test-appid"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_CHINA = timezone(timedelta(hours=8))
_JSAPI_PATH = "/v3/pay/transactions/jsapi"
_QUERY_PREFIX = "/v3/pay/transactions/out-trade-no/"
_REFUNDS_PATH = "/v3/refund/domestic/refunds"
_REFUND_EVENTS = {"SUCCESS": ("REFUND.SUCCESS", "退款成功"), "CLOSED": ("REFUND.CLOSED", "退款关闭")}
_REFUND_EVENTS["ABNORMAL"] = ("REFUND.ABNORMAL", "退款异常")


def _rfc3339_now() -> str:
    return datetime.now(_CHINA).isoformat(timespec="seconds")


def sign_message(private_key: rsa.RSAPrivateKey, timestamp: str, nonce: str, body: bytes) -> str:
    """WeChat Pay's answer/notification signature: RSA-SHA256 over "timestamp\\nnonce\\nbody\\n"."""
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class WeChatPayState:
    mchid: str
    appid: str
    orders: dict[str, dict] = field(default_factory=dict)  # out_trade_no -> order
    refunds: dict[str, dict] = field(default_factory=dict)  # out_refund_no -> refund
    requests: list[dict] = field(default_factory=list)  # method, path, headers, payload
    busy: bool = False  # answer 500 SYSTEM_ERROR
    forge_signatures: bool = False  # sign answers with a key that is not the published one
    balance_short: bool = False  # refunds answer 403 NOT_ENOUGH (the merchant's balance is short)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.orders.clear()
            self.refunds.clear()
            self.requests.clear()
            self.busy = False
            self.balance_short = False
            self.forge_signatures = False


def _transaction(state: WeChatPayState, order: dict) -> dict:
    """An order as WeChat Pay's transaction object (query answer and notification resource)."""
    paid = order["trade_state"] == "SUCCESS"
    transaction = {
        "appid": state.appid,
        "mchid": state.mchid,
        "out_trade_no": order["out_trade_no"],
        "trade_state": order["trade_state"],
        "trade_state_desc": "支付成功" if paid else "订单未支付",
        "amount": {"total": order["total"], "currency": "CNY", "payer_currency": "CNY"},
        "promotion_detail": [],
    }
    if paid:
        transaction.update(
            {
                "transaction_id": order["transaction_id"],
                "trade_type": "JSAPI",
                "bank_type": "OTHERS",
                "attach": "",
                "success_time": order["success_time"],
                "payer": {"openid": order["openid"]},
            }
        )
        transaction["amount"]["payer_total"] = order["total"]
    return transaction


def _refund(refund: dict) -> dict:
    """A refund as WeChat Pay's refund object (the answer to a refund request or query)."""
    return {
        "refund_id": refund["refund_id"],
        "out_refund_no": refund["out_refund_no"],
        "transaction_id": refund["transaction_id"],
        "out_trade_no": refund["out_trade_no"],
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "success_time": refund["success_time"],
        "create_time": refund["create_time"],
        "status": refund["status"],
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund["total"],
            "refund": refund["refund"],
            "payer_total": refund["total"],
            "payer_refund": refund["refund"],
            "settlement_refund": refund["refund"],
            "settlement_total": refund["total"],
            "discount_refund": 0,
            "currency": "CNY",
        },
    }


def _handler(standin: WeChatPayStandIn):
    state = standin.state

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _answer(self, status: int, payload: dict | None) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
            self.send_response(status)
            for name, value in standin.signed_headers(body, forged=state.forge_signatures).items():
                self.send_header(name, value)
            self.send_header("Request-ID", secrets.token_hex(12))
            if body:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            self._answer(status, {"code": code, "message": message})

        def _admit(self, payload: dict | None) -> bool:
            with state.lock:
                state.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "payload": payload,
                    }
                )
            if state.busy:
                self._error(500, "SYSTEM_ERROR", "系统异常，请稍后重试")
                return False
            authorization = self.headers.get("Authorization", "")
            if not authorization.startswith(SIGNATURE_TYPE + " ") or f'mchid="{state.mchid}"' not in authorization:
                self._error(401, "SIGN_ERROR", "签名错误")
                return False
            return True

        def do_GET(self):
            if not self._admit(None):
                return
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path.startswith(_REFUNDS_PATH + "/"):
                with state.lock:
                    refund = state.refunds.get(url.path[len(_REFUNDS_PATH) + 1 :])
                    answer = _refund(refund) if refund else None
                if answer is None:
                    return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
                return self._answer(200, answer)
            if not url.path.startswith(_QUERY_PREFIX):
                return self._error(404, "NOT_FOUND", "请求的资源不存在")
            if query.get("mchid") != state.mchid:
                return self._error(400, "PARAM_ERROR", "mchid与请求的商户号不一致")
            with state.lock:
                order = state.orders.get(url.path[len(_QUERY_PREFIX) :])
                answer = _transaction(state, order) if order else None
            if answer is None:
                return self._error(404, "ORDER_NOT_EXISTS", "订单不存在")
            self._answer(200, answer)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                payload = None
            if not self._admit(payload):
                return
            if urlsplit(self.path).path == _REFUNDS_PATH:
                return self._refund_request(payload)
            if urlsplit(self.path).path.startswith(_QUERY_PREFIX) and self.path.endswith("/close"):
                return self._close(urlsplit(self.path).path[len(_QUERY_PREFIX) : -len("/close")])
            if urlsplit(self.path).path != _JSAPI_PATH:
                return self._error(404, "NOT_FOUND", "请求的资源不存在")
            if not isinstance(payload, dict):
                return self._error(400, "PARAM_ERROR", "请求体不是有效的JSON")
            amount = payload.get("amount") or {}
            payer = payload.get("payer") or {}
            if (
                payload.get("appid") != state.appid
                or payload.get("mchid") != state.mchid
                or not payload.get("description")
                or not payload.get("out_trade_no")
                or not payload.get("notify_url")
                or not isinstance(amount.get("total"), int)
                or not payer.get("openid")
            ):
                return self._error(400, "PARAM_ERROR", "参数错误")
            out_trade_no = payload["out_trade_no"]
            with state.lock:
                order = state.orders.get(out_trade_no)
                if order is None:
                    order = state.orders[out_trade_no] = {
                        "out_trade_no": out_trade_no,
                        "total": amount["total"],
                        "openid": payer["openid"],
                        "description": payload["description"],
                        "notify_url": payload["notify_url"],
                        "prepay_id": "wx" + secrets.token_hex(15),
                        "time_expire": payload.get("time_expire"),
                        "trade_state": "NOTPAY",
                        "transaction_id": None,
                        "success_time": None,
                    }
                elif order["total"] != amount["total"] or order["openid"] != payer["openid"]:
                    return self._error(400, "INVALID_REQUEST", "201 商户订单号重复")
                prepay_id = order["prepay_id"]
            self._answer(200, {"prepay_id": prepay_id})

        def _close(self, out_trade_no: str) -> None:
            with state.lock:
                order = state.orders.get(out_trade_no)
                if order is None:
                    return self._error(404, "ORDER_NOT_EXISTS", "订单不存在")
                if order["trade_state"] == "SUCCESS":
                    return self._error(400, "ORDERPAID", "订单已支付")
                order["trade_state"] = "CLOSED"
            self._answer(204, None)

        def _refund_request(self, payload: dict | None) -> None:
            amount = (payload or {}).get("amount") or {}
            if (
                not isinstance(payload, dict)
                or not payload.get("out_refund_no")
                or not payload.get("out_trade_no")
                or not isinstance(amount.get("refund"), int)
                or not isinstance(amount.get("total"), int)
                or amount["refund"] <= 0
            ):
                return self._error(400, "PARAM_ERROR", "参数错误")
            if state.balance_short:
                return self._error(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
            with state.lock:
                order = state.orders.get(payload["out_trade_no"])
                if order is None or order["trade_state"] != "SUCCESS":
                    return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
                if amount["total"] != order["total"]:
                    return self._error(400, "PARAM_ERROR", "订单金额与原订单不一致")
                refund = state.refunds.get(payload["out_refund_no"])
                if refund is not None:
                    if refund["refund"] != amount["refund"] or refund["out_trade_no"] != order["out_trade_no"]:
                        return self._error(400, "INVALID_REQUEST", "退款单号重复")
                    return self._answer(200, _refund(refund))
                refunded = sum(
                    r["refund"]
                    for r in state.refunds.values()
                    if r["out_trade_no"] == order["out_trade_no"] and r["status"] != "CLOSED"
                )
                if refunded + amount["refund"] > order["total"]:
                    return self._error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
                refund = state.refunds[payload["out_refund_no"]] = {
                    "out_refund_no": payload["out_refund_no"],
                    "out_trade_no": order["out_trade_no"],
                    "transaction_id": order["transaction_id"],
                    "refund_id": "50300" + "".join(secrets.choice("0123456789") for _ in range(27)),
                    "refund": amount["refund"],
                    "total": order["total"],
                    "reason": payload.get("reason", ""),
                    "notify_url": payload.get("notify_url"),
                    "status": "PROCESSING",
                    "create_time": _rfc3339_now(),
                    "success_time": None,
                }
                answer = _refund(refund)
            self._answer(200, answer)

    return Handler


class WeChatPayStandIn:
    def __init__(self, apiv3_key: str, mchid: str = MCHID, appid: str = APPID):
        self.apiv3_key = apiv3_key
        self.state = WeChatPayState(mchid=mchid, appid=appid)
        self._platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(16).upper()
        self.public_key_pem = (
            self._platform_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WeChatPayStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def signed_headers(self, body: bytes, timestamp: int | None = None, forged: bool = False) -> dict[str, str]:
        """The headers WeChat Pay puts on an answer or a notification with this body."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16).upper()
        key = self._forger_key if forged else self._platform_key
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign_message(key, ts, nonce, body),
            "Wechatpay-Serial": self.public_key_id,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    def mark_paid(self, out_trade_no: str) -> dict:
        """The payer paid: from now on the order's query answers SUCCESS. Returns the order. A
        closed order cannot be paid, as in WeChat Pay."""
        with self.state.lock:
            order = self.state.orders[out_trade_no]
            if order["trade_state"] == "CLOSED":
                raise ValueError(f"{out_trade_no} is closed and cannot be paid")
            if order["trade_state"] != "SUCCESS":
                order.update(
                    {
                        "trade_state": "SUCCESS",
                        "transaction_id": "42000" + "".join(secrets.choice("0123456789") for _ in range(23)),
                        "success_time": _rfc3339_now(),
                    }
                )
            return dict(order)

    def build_notification(
        self,
        out_trade_no: str,
        amount_fen: int | None = None,
        timestamp: int | None = None,
        tamper: bool = False,
    ) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the TRANSACTION.SUCCESS notification for a paid order.

        An order created through the API is marked paid first. `amount_fen` overrides the
        amount it reports (or gives one for an order the stand-in never saw), `timestamp` the
        signing time; `tamper` alters the body after it was signed.
        """
        if out_trade_no in self.state.orders:
            order = self.mark_paid(out_trade_no)
        elif amount_fen is not None:
            order = {
                "out_trade_no": out_trade_no,
                "total": amount_fen,
                "openid": "o-unknown-payer",
                "trade_state": "SUCCESS",
                "transaction_id": "42000" + "".join(secrets.choice("0123456789") for _ in range(23)),
                "success_time": _rfc3339_now(),
            }
        else:
            raise KeyError(f"no order {out_trade_no}: give amount_fen")
        if amount_fen is not None:
            order = {**order, "total": amount_fen}
        return self._notification(
            "transaction", "TRANSACTION.SUCCESS", "支付成功", _transaction(self.state, order), timestamp, tamper
        )

    def finish_refund(self, out_refund_no: str, status: str = "SUCCESS") -> dict:
        """WeChat Pay settled a refund: SUCCESS (money back with the payer), CLOSED or ABNORMAL.
        From now on its query answers so. Returns the refund."""
        if status not in _REFUND_EVENTS:
            raise ValueError(f"a refund ends SUCCESS, CLOSED or ABNORMAL, not {status}")
        with self.state.lock:
            refund = self.state.refunds[out_refund_no]
            if refund["status"] == "PROCESSING":
                refund["status"] = status
                refund["success_time"] = _rfc3339_now() if status == "SUCCESS" else None
            return dict(refund)

    def build_refund_notification(
        self,
        out_refund_no: str,
        status: str = "SUCCESS",
        refund_fen: int | None = None,
        timestamp: int | None = None,
        tamper: bool = False,
    ) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the REFUND.<status> notification for a refund asked through the
        API, which is settled with `status` first. `refund_fen` overrides the amount it reports,
        `timestamp` the signing time; `tamper` alters the body after it was signed."""
        refund = self.finish_refund(out_refund_no, status)
        event_type, summary = _REFUND_EVENTS[refund["status"]]
        resource = {
            "mchid": self.state.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": refund["out_refund_no"],
            "refund_id": refund["refund_id"],
            "refund_status": refund["status"],
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund["total"],
                "refund": refund["refund"] if refund_fen is None else refund_fen,
                "payer_total": refund["total"],
                "payer_refund": refund["refund"] if refund_fen is None else refund_fen,
            },
        }
        if refund["success_time"]:
            resource["success_time"] = refund["success_time"]
        return self._notification("refund", event_type, summary, resource, timestamp, tamper)

    def _notification(
        self, kind: str, event_type: str, summary: str, resource: dict, timestamp: int | None, tamper: bool
    ) -> tuple[dict[str, str], bytes]:
        """(headers, body) of a signed notification whose resource of `kind` ("transaction",
        "refund") is encrypted with the APIv3 key, as WeChat Pay sends it; `tamper` alters the
        body after it was signed."""
        plaintext = json.dumps(resource, ensure_ascii=False).encode()
        nonce = secrets.token_urlsafe(9)[:12]  # WeChat Pay uses a 12-character nonce string
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), plaintext, kind.encode())
        envelope = {
            "id": "EV-" + secrets.token_hex(10),
            "create_time": _rfc3339_now(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": kind,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": kind,
                "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        headers = self.signed_headers(body, timestamp=timestamp)
        headers["Content-Type"] = "application/json"
        if tamper:
            envelope["summary"] = summary + " "
            body = json.dumps(envelope, ensure_ascii=False).encode()
        return headers, body
