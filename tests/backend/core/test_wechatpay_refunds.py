"""The WeChat Pay adapter's refunds (申请退款, 查询单笔退款, 退款结果通知) against the local
stand-in of WeChat Pay API v3."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.core.wechatpay import (
    InvalidNotification,
    PaymentNotice,
    RefundNotice,
    Refusal,
    WeChatPay,
    WeChatPayRejected,
    WeChatPayUnavailable,
)
from tests.fakes.wechatpay import APPID, MCHID, WeChatPayStandIn

APIV3_KEY = "0123456789abcdefghijklmnopqrstuv"
OPENID = "o-cadre-openid-1"


@pytest.fixture(scope="module")
def standin():
    server = WeChatPayStandIn(APIV3_KEY).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def merchant_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def adapter(standin: WeChatPayStandIn, merchant_key_pem: str, mchid: str = MCHID) -> WeChatPay:
    return WeChatPay(
        mchid=mchid,
        appid=APPID,
        merchant_private_key_pem=merchant_key_pem,
        merchant_cert_serial="3775B6A45ACD588826D15E583A95F5DD12345678",
        apiv3_key=APIV3_KEY,
        wechatpay_public_key_pem=standin.public_key_pem,
        wechatpay_public_key_id=standin.public_key_id,
        notify_url="https://houqin.example.gov.cn/pay/wechat/notify",
        base_url=standin.base_url,
        timeout=2,
    )


@pytest.fixture
def pay(standin, merchant_key_pem) -> WeChatPay:
    standin.state.reset()
    return adapter(standin, merchant_key_pem)


async def paid_order(pay: WeChatPay, standin: WeChatPayStandIn, out_trade_no: str, total: int) -> None:
    await pay.create_jsapi_order(out_trade_no, total, "食味坊订单", OPENID)
    standin.mark_paid(out_trade_no)


async def test_a_refund_is_asked_for_with_its_amounts_and_answered_processing(pay, standin):
    await paid_order(pay, standin, "SP2024060100001", 13_600)
    answer = await pay.create_refund("SP2024060100001", "SR2024060100001A", 6_800, 13_600, "坏果")
    assert isinstance(answer, RefundNotice)
    assert (answer.out_refund_no, answer.status, answer.refund_fen, answer.total_fen) == (
        "SR2024060100001A",
        "PROCESSING",
        6_800,
        13_600,
    )
    assert not answer.succeeded and not answer.failed and answer.refund_id
    sent = standin.state.requests[-1]
    assert (sent["method"], sent["path"]) == ("POST", "/v3/refund/domestic/refunds")
    assert sent["payload"]["amount"] == {"refund": 6_800, "total": 13_600, "currency": "CNY"}
    assert sent["payload"]["notify_url"] == "https://houqin.example.gov.cn/pay/wechat/notify"


async def test_asking_again_with_the_same_refund_number_answers_the_same_refund(pay, standin):
    await paid_order(pay, standin, "SP2024060100002", 5_000)
    first = await pay.create_refund("SP2024060100002", "SR2024060100002A", 5_000, 5_000, "缺货")
    again = await pay.create_refund("SP2024060100002", "SR2024060100002A", 5_000, 5_000, "缺货")
    assert again.refund_id == first.refund_id and len(standin.state.refunds) == 1


async def test_a_refund_over_what_is_left_is_rejected_by_wechat_pay(pay, standin):
    await paid_order(pay, standin, "SP2024060100003", 5_000)
    await pay.create_refund("SP2024060100003", "SR2024060100003A", 3_000, 5_000, "缺货")
    with pytest.raises(WeChatPayRejected) as rejected:
        await pay.create_refund("SP2024060100003", "SR2024060100003B", 3_000, 5_000, "缺货")
    assert rejected.value.status == 400


@pytest.mark.parametrize(("refund_fen", "total_fen"), [(0, 100), (101, 100), (True, 100)])
async def test_impossible_amounts_are_refused_before_any_request(pay, standin, refund_fen, total_fen):
    with pytest.raises(ValueError):
        await pay.create_refund("SP2024060100004", "SR2024060100004A", refund_fen, total_fen, "缺货")
    assert standin.state.requests == []


async def test_a_refund_number_outside_wechat_pay_rules_is_refused_before_any_request(pay, standin):
    with pytest.raises(ValueError):
        await pay.query_refund("SR/../x")
    assert standin.state.requests == []


async def test_the_query_answers_the_refund_once_settled_and_none_for_an_unknown_one(pay, standin):
    await paid_order(pay, standin, "SP2024060100005", 5_000)
    await pay.create_refund("SP2024060100005", "SR2024060100005A", 2_000, 5_000, "缺货")
    standin.finish_refund("SR2024060100005A")
    answer = await pay.query_refund("SR2024060100005A")
    assert answer.succeeded and answer.success_time is not None and answer.refund_fen == 2_000
    assert await pay.query_refund("SR2024060100099Z") is None


async def test_a_busy_wechat_pay_leaves_the_refund_unanswered(pay, standin):
    await paid_order(pay, standin, "SP2024060100006", 5_000)
    standin.state.busy = True
    with pytest.raises(WeChatPayUnavailable):
        await pay.create_refund("SP2024060100006", "SR2024060100006A", 2_000, 5_000, "缺货")


@pytest.mark.parametrize("status", ["SUCCESS", "CLOSED", "ABNORMAL"])
async def test_a_refund_notification_parses_to_the_refund(pay, standin, status):
    await paid_order(pay, standin, "SP2024060100007", 5_000)
    await pay.create_refund("SP2024060100007", "SR2024060100007A", 2_000, 5_000, "缺货")
    headers, body = standin.build_refund_notification("SR2024060100007A", status)
    notice = pay.parse_notification(headers, body)
    assert isinstance(notice, RefundNotice) and not isinstance(notice, PaymentNotice)
    assert (notice.out_trade_no, notice.status, notice.refund_fen) == ("SP2024060100007", status, 2_000)
    assert notice.succeeded == (status == "SUCCESS") and notice.failed == (status != "SUCCESS")


async def test_a_tampered_refund_notification_is_refused(pay, standin):
    await paid_order(pay, standin, "SP2024060100008", 5_000)
    await pay.create_refund("SP2024060100008", "SR2024060100008A", 2_000, 5_000, "缺货")
    headers, body = standin.build_refund_notification("SR2024060100008A", tamper=True)
    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(headers, body)
    assert refused.value.reason is Refusal.BAD_SIGNATURE


async def test_a_refund_notification_for_another_merchant_is_refused(pay, standin, merchant_key_pem):
    await paid_order(pay, standin, "SP2024060100009", 5_000)
    await pay.create_refund("SP2024060100009", "SR2024060100009A", 2_000, 5_000, "缺货")
    headers, body = standin.build_refund_notification("SR2024060100009A")
    with pytest.raises(InvalidNotification) as refused:
        adapter(standin, merchant_key_pem, mchid="1900000999").parse_notification(headers, body)
    assert refused.value.reason is Refusal.WRONG_MERCHANT


async def test_a_payment_resource_announced_as_a_refund_is_refused(pay, standin):
    await paid_order(pay, standin, "SP2024060100010", 5_000)
    _, body = standin.build_notification("SP2024060100010")
    envelope = json.loads(body)
    envelope["event_type"] = "REFUND.SUCCESS"
    forged = json.dumps(envelope).encode()
    with pytest.raises(InvalidNotification) as refused:
        pay.parse_notification(standin.signed_headers(forged), forged)
    assert refused.value.reason is Refusal.UNSUPPORTED_RESOURCE
