"""A stored error code (a payment's refusal) is shown to staff as its Chinese message."""

import importlib
import importlib.util

from backend.canteen.errors import CanteenError
from backend.core.errors import CommonError, message_of, registered_codes
from backend.modules import modules
from backend.repairs.errors import RepairsError


def test_a_stored_code_reads_as_its_message():
    assert message_of("canteen.unknown_card") == "未登记的卡，请到食堂服务台办理"


def test_details_only_a_live_error_fills_in_are_left_out():
    assert message_of(CanteenError.MEAL_LIMIT_REACHED.code) == "本餐已消费"  # "每餐限 {limit} 次" dropped
    assert message_of(CanteenError.OVER_AMOUNT_LIMIT.code) == "单笔金额超过上限"
    assert message_of(CommonError.INTERNAL.code) == "系统繁忙，请稍后再试"


def test_a_message_that_is_nothing_without_its_details_reads_as_its_kind_of_refusal():
    assert message_of(RepairsError.ILLEGAL_TRANSITION.code) == "当前状态不允许此操作"  # 409


def test_a_code_no_longer_defined_reads_as_an_unknown_reason_and_no_code_as_nothing():
    assert message_of("canteen.retired_reason") == "其他原因"
    assert message_of("") == ""


def test_every_defined_code_reads_as_chinese_words():
    for module in modules():
        if importlib.util.find_spec(f"{module.package}.errors"):
            importlib.import_module(f"{module.package}.errors")
    for code in registered_codes():
        words = message_of(code)
        assert words and "{" not in words and code not in words, code
