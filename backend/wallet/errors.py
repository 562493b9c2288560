"""Error codes of the wallet module."""

from backend.core.errors import ErrorCode


class WalletError(ErrorCode):
    CARD_UID_INVALID = ("wallet.card_uid_invalid", 422, "卡号格式不正确")
    CARD_UID_TAKEN = ("wallet.card_uid_taken", 409, "该卡已被登记")
    CARD_NOT_FOUND = ("wallet.card_not_found", 404, "卡片不存在")
    CARD_STATE_CONFLICT = ("wallet.card_state_conflict", 409, "卡片当前状态不允许此操作")
    PERSON_HAS_ACTIVE_CARD = ("wallet.person_has_active_card", 409, "该人员已有正常使用的卡，请先挂失或补卡")
    PERSON_NOT_FOUND = ("wallet.person_not_found", 404, "人员不存在")
    ADJUSTMENT_INVALID = ("wallet.adjustment_invalid", 422, "调账金额不能为 0，且调减后余额不能为负")
