"""The WeChat Pay orders modules declare (`wechatpay_orders`): each out_trade_no prefix is two
upper-case letters, owned by one module, and names code that exists, or the app is not built;
the wallet's top-ups ("TU") and the shop's orders ("SP") are declared."""

from dataclasses import replace

import pytest
from sanic import Sanic

from backend import modules as module_list
from backend.app import create_app
from backend.core.modules import Module, WeChatPayOrders, references, wechatpay_orders

TOPUP = WeChatPayOrders("一卡通充值", paid="backend.wallet.service.topup:apply_notice")


def test_the_wallet_and_the_shop_declare_their_prefixes():
    declared = wechatpay_orders(module_list.modules())
    assert declared["TU"].paid == "backend.wallet.service.topup:apply_notice"
    assert declared["SP"].refunded == "backend.shop.service.refunds:apply_refund_notice"


@pytest.mark.parametrize("prefix", ["tu", "T", "TUX", "T1"])
def test_a_prefix_that_is_not_two_upper_case_letters_is_refused(prefix):
    with pytest.raises(ValueError, match="two upper-case letters"):
        wechatpay_orders([Module(name="example", title="示例", wechatpay_orders={prefix: TOPUP})])


def test_a_prefix_declared_by_two_modules_is_refused():
    first = Module(name="first", title="一", wechatpay_orders={"XX": TOPUP})
    second = Module(name="second", title="二", wechatpay_orders={"XX": TOPUP})
    with pytest.raises(ValueError, match="'XX' is declared by 'first' and 'second'"):
        wechatpay_orders([first, second])


def test_the_handlers_are_references_the_app_resolves():
    module = Module(
        name="example",
        title="示例",
        wechatpay_orders={"EX": WeChatPayOrders("示例", paid="a.b:paid", refunded="a.b:refunded")},
    )
    assert {"a.b:paid", "a.b:refunded"} <= set(references(module))


def test_a_handler_that_does_not_exist_stops_the_build(settings, monkeypatch):
    shop = next(m for m in module_list.modules() if m.name == "shop")
    broken = replace(
        shop, wechatpay_orders={"SP": WeChatPayOrders("食味坊订单", paid="backend.shop.service.payments:gone")}
    )
    monkeypatch.setattr("backend.shop.module.MODULE", broken)
    module_list.load.cache_clear()
    Sanic.test_mode = True
    try:
        with pytest.raises(AttributeError, match="gone"):
            create_app(settings)
    finally:
        monkeypatch.undo()
        module_list.load.cache_clear()
        module_list.activate(module_list.MODULE_PACKAGES)
