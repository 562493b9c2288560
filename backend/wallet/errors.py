"""Error codes of the wallet module."""

from backend.core.errors import ErrorCode


class WalletError(ErrorCode):
    CARD_UID_INVALID = (
        "wallet.card_uid_invalid",
        422,
        "卡号格式不正确：应为 8–32 位十六进制字符（0–9、A–F），且位数为双数",
    )
    CARD_UID_TAKEN = ("wallet.card_uid_taken", 409, "该卡已登记在其他人员名下，不能发给此人")
    CARD_UID_HELD = ("wallet.card_uid_held", 409, "该卡已登记在此人名下（{state}），不能再次发放")
    CARD_NOT_FOUND = ("wallet.card_not_found", 404, "卡片不存在")
    CARD_STATE_CONFLICT = ("wallet.card_state_conflict", 409, "该卡当前为“{state}”状态，不能{action}")
    PERSON_HAS_ACTIVE_CARD = ("wallet.person_has_active_card", 409, "该人员已有正常使用的卡，请先挂失或补卡")
    PERSON_NOT_FOUND = ("wallet.person_not_found", 404, "人员不存在")
    STATEMENT_RANGE_REVERSED = ("wallet.statement_range_reversed", 422, "结束日期不能早于开始日期")
    STATEMENT_RANGE_TOO_LONG = (
        "wallet.statement_range_too_long",
        422,
        "对账单一次最多查询 {days} 天，请缩短日期范围",
    )
    ADJUSTMENT_INVALID = ("wallet.adjustment_invalid", 422, "调账金额不能为 0，且调减后余额不能为负")
    REFUND_AMOUNT_INVALID = ("wallet.refund_amount_invalid", 422, "退款金额须大于 0，且不能超过现金余额")
    REFUND_REFERENCE_REQUIRED = ("wallet.refund_reference_required", 422, "银行转账退款须填写转账流水号")
    REFUND_OVERDRAFT_OWED = (
        "wallet.refund_overdraft_owed",
        409,
        "该账户有脱机消费透支欠款未归还：请先归还透支，再办理退款或销户",
    )
    CLOSE_PENDING_TOPUP = (
        "wallet.close_pending_topup",
        409,
        "该账户有尚未到账的微信充值：请待充值到账或订单关闭后再销户",
    )
    WALLET_CLOSED = ("wallet.wallet_closed", 409, "该一卡通账户已销户")
    PERSON_LEFT = ("wallet.person_left", 409, "该人员已离职，不能发卡")
    PERSON_LEFT_SETTLED = ("wallet.person_left_settled", 409, "该人员已离职，一卡通已在离职时结清，不能再调账")
    LEAVE_REFUND_NOT_PERMITTED = (
        "wallet.leave_refund_not_permitted",
        403,
        "该人员一卡通还有现金余额须退还，请由有「现金退款」权限的管理员办理离职",
    )
    KEY_USED_ELSEWHERE = ("wallet.key_used_elsewhere", 409, "这次提交的幂等键已用于另一笔业务，请刷新页面后重新填写")
