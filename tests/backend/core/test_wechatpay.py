"""The WeChat Pay adapter against the local stand-in of WeChat Pay API v3."""

from __future__ import annotations

import base64
import json
import socket
import time
from datetime import datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from backend.core.wechatpay import (
    InvalidNotification,
    PaymentNotice,
    Refusal,
    WeChatPay,
    WeChatPayRejected,
    WeChatPayUnavailable,
    WeChatPayUntrustedAnswer,
)
from tests.fakes.wechatpay import APPID, MCHID, WeChatPayStandIn, sign_message

APIV3_KEY = "0123456789abcdefghijklmnopqrstuv"
OTHER_APIV3_KEY = "vutsrqponmlkjihgfedcba9876543210"
MERCHANT_SERIAL = "3775B6A45ACD588826D15E583A95F5DD12345678"
NOTIFY_URL = "https://houqin.example.gov.cn/wechatpay/notify"
OPENID = "o-cadre-openid-1"


@pytest.fixture(scope="module")
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def merchant_key_pem(merchant_key) -> str:
    return merchant_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def standin():
    server = WeChatPayStandIn(APIV3_KEY).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean_standin(standin):
    standin.state.reset()


def make_adapter(standin: WeChatPayStandIn, merchant_key_pem: str, **overrides) -> WeChatPay:
    params = dict(
        mchid=MCHID,
        appid=APPID,
        merchant_private_key_pem=merchant_key_pem,
        merchant_cert_serial=MERCHANT_SERIAL,
        apiv3_key=APIV3_KEY,
        wechatpay_public_key_pem=standin.public_key_pem,
        wechatpay_public_key_id=standin.public_key_id,
        notify_url=NOTIFY_URL,
        base_url=standin.base_url,
        timeout=2,
    )
    params.update(overrides)
    return WeChatPay(**params)


@pytest.fixture
def pay(standin, merchant_key_pem) -> WeChatPay:
    return make_adapter(standin, merchant_key_pem)


def unused_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- creating an order ----------------------------------------------------------------------


async def test_create_order_returns_request_payment_params_signed_by_the_merchant(pay, standin, merchant_key):
    params = await pay.create_jsapi_order("TOPUP20240001", 5000, "钱包充值", OPENID)

    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    prepay_id = standin.state.orders["TOPUP20240001"]["prepay_id"]
    assert params["package"] == f"prepay_id={prepay_id}"
    assert params["appId"] == APPID
    assert params["signType"] == "RSA"
    assert abs(int(params["timeStamp"]) - time.time()) < 5
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    merchant_key.public_key().verify(  # raises if the paySign is wrong
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


async def test_create_order_sends_amount_payer_and_notify_url_to_the_configured_base_url(pay, standin):
    await pay.create_jsapi_order("TOPUP20240002", 1234, "钱包充值", OPENID)

    [request] = standin.state.requests
    assert request["method"] == "POST" and request["path"] == "/v3/pay/transactions/jsapi"
    assert request["headers"]["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")
    assert request["headers"]["Wechatpay-Serial"] == standin.public_key_id
    assert request["payload"] == {
        "appid": APPID,
        "mchid": MCHID,
        "description": "钱包充值",
        "out_trade_no": "TOPUP20240002",
        "notify_url": NOTIFY_URL,
        "amount": {"total": 1234, "currency": "CNY"},
        "payer": {"openid": OPENID},
    }


async def test_pay_sign_does_not_verify_with_another_key(pay):
    params = await pay.create_jsapi_order("TOPUP20240003", 100, "钱包充值", OPENID)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    with pytest.raises(InvalidSignature):
        stranger.public_key().verify(
            base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
async def test_create_order_with_a_non_positive_or_non_integer_amount_is_refused(pay, standin, amount):
    with pytest.raises(ValueError):
        await pay.create_jsapi_order("TOPUP20240004", amount, "钱包充值", OPENID)
    assert standin.state.requests == []


@pytest.mark.parametrize("out_trade_no", ["short", "../../v3/refund", "TOPUP?mchid=1", "x" * 33])
async def test_out_trade_no_outside_wechat_pay_rules_is_refused_before_any_request(pay, standin, out_trade_no):
    with pytest.raises(ValueError):
        await pay.query_order(out_trade_no)
    assert standin.state.requests == []


async def test_reusing_an_order_number_for_another_amount_is_rejected_by_wechat_pay(pay):
    await pay.create_jsapi_order("TOPUP20240005", 100, "钱包充值", OPENID)

    with pytest.raises(WeChatPayRejected) as refused:
        await pay.create_jsapi_order("TOPUP20240005", 200, "钱包充值", OPENID)
    assert refused.value.status == 400 and refused.value.code == "INVALID_REQUEST"


# --- notifications --------------------------------------------------------------------------


async def test_good_notification_parses_to_the_payment(pay, standin):
    await pay.create_jsapi_order("TOPUP20240010", 5000, "钱包充值", OPENID)
    headers, body = standin.build_notification("TOPUP20240010")

    notice = pay.parse_notification(headers, body)

    order = standin.state.orders["TOPUP20240010"]
    assert notice == PaymentNotice(
        out_trade_no="TOPUP20240010",
        transaction_id=order["transaction_id"],
        trade_state="SUCCESS",
        amount_fen=5000,
        payer_openid=OPENID,
        success_time=datetime.fromisoformat(order["success_time"]),
    )
    assert notice.paid and notice.success_time.utcoffset().total_seconds() == 8 * 3600


def test_notification_reports_the_amount_wechat_pay_charged_not_ours(pay, standin):
    """Comparing the amount with our order is the caller's job; the notice must expose it."""
    headers, body = standin.build_notification("TOPUP20240011", amount_fen=1)

    assert pay.parse_notification(headers, body).amount_fen == 1


def test_notification_with_lower_case_header_names_is_accepted(pay, standin):
    headers, body = standin.build_notification("TOPUP20240012", amount_fen=100)

    notice = pay.parse_notification({k.lower(): v for k, v in headers.items()}, body)

    assert notice.out_trade_no == "TOPUP20240012"


def test_tampered_notification_body_is_refused(pay, standin):
    headers, body = standin.build_notification("TOPUP20240013", amount_fen=100, tamper=True)

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.BAD_SIGNATURE


def test_notification_signed_with_another_key_is_refused(pay, standin):
    headers, body = standin.build_notification("TOPUP20240014", amount_fen=100)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers["Wechatpay-Signature"] = sign_message(
        forger, headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body
    )

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.BAD_SIGNATURE


def test_notification_with_garbage_signature_is_refused(pay, standin):
    headers, body = standin.build_notification("TOPUP20240015", amount_fen=100)
    headers["Wechatpay-Signature"] = "not base64 at all!"

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.BAD_SIGNATURE


def test_notification_naming_another_public_key_serial_is_refused(pay, standin):
    headers, body = standin.build_notification("TOPUP20240016", amount_fen=100)
    headers["Wechatpay-Serial"] = "PUB_KEY_ID_SOMEONE_ELSE"

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.UNKNOWN_SERIAL
    assert standin.state.requests == []  # no certificate download was attempted


def test_notification_older_than_five_minutes_is_refused(pay, standin):
    now = time.time()
    headers, body = standin.build_notification("TOPUP20240017", amount_fen=100, timestamp=int(now) - 301)

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body, now=int(now))
    assert refused.value.reason is Refusal.STALE_TIMESTAMP


def test_notification_more_than_five_minutes_ahead_is_refused(pay, standin):
    now = int(time.time())
    headers, body = standin.build_notification("TOPUP20240018", amount_fen=100, timestamp=now + 301)

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body, now=now)
    assert refused.value.reason is Refusal.STALE_TIMESTAMP


def test_notification_exactly_five_minutes_old_is_accepted(pay, standin):
    now = int(time.time())
    headers, body = standin.build_notification("TOPUP20240019", amount_fen=100, timestamp=now - 300)

    assert pay.parse_notification(headers, body, now=now).out_trade_no == "TOPUP20240019"


def test_notification_with_a_non_numeric_timestamp_is_refused(pay, standin):
    headers, body = standin.build_notification("TOPUP20240020", amount_fen=100)
    headers["Wechatpay-Timestamp"] = "-1"

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.BAD_TIMESTAMP


def test_notification_encrypted_with_another_apiv3_key_is_refused(standin, merchant_key_pem):
    other_merchant = make_adapter(standin, merchant_key_pem, apiv3_key=OTHER_APIV3_KEY)
    headers, body = standin.build_notification("TOPUP20240021", amount_fen=100)

    with pytest.raises(InvalidNotification) as refused:
        other_merchant.parse_notification(headers, body)
    assert refused.value.reason is Refusal.UNDECRYPTABLE


def test_notification_for_another_merchant_is_refused(standin, merchant_key_pem):
    other_merchant = make_adapter(standin, merchant_key_pem, mchid="1900000999")
    headers, body = standin.build_notification("TOPUP20240022", amount_fen=100)

    with pytest.raises(InvalidNotification) as refused:
        other_merchant.parse_notification(headers, body)
    assert refused.value.reason is Refusal.WRONG_MERCHANT


@pytest.mark.parametrize(
    "header", ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
)
def test_notification_missing_a_signature_header_is_refused(pay, standin, header):
    headers, body = standin.build_notification("TOPUP20240023", amount_fen=100)
    del headers[header]

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.MISSING_HEADER


def test_notification_with_no_headers_at_all_is_refused(pay, standin):
    _, body = standin.build_notification("TOPUP20240024", amount_fen=100)

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification({}, body)
    assert refused.value.reason is Refusal.MISSING_HEADER


def test_signed_notification_that_is_not_an_encrypted_transaction_is_refused(pay, standin):
    """A refund's resource announced as a payment (refund notifications come to the same URL
    and are told apart by both) must not pass for a payment."""
    body = json.dumps(
        {
            "id": "EV-1",
            "create_time": "2024-01-01T10:00:00+08:00",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "summary": "退款成功",
            "resource": {
                "original_type": "refund",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": "",
                "associated_data": "refund",
                "nonce": "abcdefghijkl",
            },
        }
    ).encode()

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(standin.signed_headers(body), body)
    assert refused.value.reason is Refusal.UNSUPPORTED_RESOURCE


def test_signed_notification_that_is_not_json_is_refused(pay, standin):
    body = b"<xml>v2</xml>"

    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(standin.signed_headers(body), body)
    assert refused.value.reason is Refusal.MALFORMED_BODY


# --- querying an order ----------------------------------------------------------------------


async def test_query_of_a_paid_order_returns_success_with_amount(pay, standin):
    await pay.create_jsapi_order("TOPUP20240030", 3000, "钱包充值", OPENID)
    order = standin.mark_paid("TOPUP20240030")

    notice = await pay.query_order("TOPUP20240030")

    assert notice.trade_state == "SUCCESS" and notice.paid
    assert notice.amount_fen == 3000
    assert notice.transaction_id == order["transaction_id"]
    assert notice.payer_openid == OPENID
    assert standin.state.requests[-1]["path"] == f"/v3/pay/transactions/out-trade-no/TOPUP20240030?mchid={MCHID}"


async def test_query_of_an_unpaid_order_returns_notpay(pay):
    await pay.create_jsapi_order("TOPUP20240031", 3000, "钱包充值", OPENID)

    notice = await pay.query_order("TOPUP20240031")

    assert notice.trade_state == "NOTPAY" and not notice.paid
    assert notice.transaction_id is None and notice.success_time is None


async def test_query_of_an_unknown_order_returns_none(pay):
    assert await pay.query_order("NEVERCREATED01") is None


async def test_query_answer_with_a_forged_signature_is_not_trusted(pay, standin):
    await pay.create_jsapi_order("TOPUP20240032", 3000, "钱包充值", OPENID)
    standin.mark_paid("TOPUP20240032")
    standin.state.forge_signatures = True

    with pytest.raises(WeChatPayUntrustedAnswer):
        await pay.query_order("TOPUP20240032")


# --- WeChat Pay unreachable -----------------------------------------------------------------


async def test_wechat_pay_server_error_raises_unavailable(pay, standin):
    standin.state.busy = True

    with pytest.raises(WeChatPayUnavailable):
        await pay.create_jsapi_order("TOPUP20240040", 100, "钱包充值", OPENID)
    with pytest.raises(WeChatPayUnavailable):
        await pay.query_order("TOPUP20240040")


async def test_nothing_listening_at_the_base_url_raises_unavailable(standin, merchant_key_pem):
    pay = make_adapter(standin, merchant_key_pem, base_url=unused_port_url())

    with pytest.raises(WeChatPayUnavailable):
        await pay.create_jsapi_order("TOPUP20240041", 100, "钱包充值", OPENID)
    with pytest.raises(WeChatPayUnavailable):
        await pay.query_order("TOPUP20240041")


async def test_stopped_wechat_pay_raises_unavailable(merchant_key_pem):
    stopped = WeChatPayStandIn(APIV3_KEY).start()
    pay = make_adapter(stopped, merchant_key_pem)
    stopped.stop()

    with pytest.raises(WeChatPayUnavailable):
        await pay.query_order("TOPUP20240042")


def test_constructing_the_adapter_makes_no_request(standin, merchant_key_pem):
    """Public key mode: no platform certificate download at construction."""
    make_adapter(standin, merchant_key_pem)

    assert standin.state.requests == []


def test_an_apiv3_key_that_is_not_32_bytes_is_refused(standin, merchant_key_pem):
    with pytest.raises(ValueError):
        make_adapter(standin, merchant_key_pem, apiv3_key="too short")
