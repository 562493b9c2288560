"""Error codes of the canteen module. Payment refusals are 402 and read by a diner at the
terminal, so their messages say what to do."""

from backend.core.errors import ErrorCode


class CanteenError(ErrorCode):
    NOT_A_TERMINAL = ("canteen.not_a_terminal", 403, "该设备未配置为食堂消费终端")
    UNKNOWN_CARD = ("canteen.unknown_card", 402, "未登记的卡，请到食堂服务台办理")
    CARD_LOST = ("canteen.card_lost", 402, "此卡已挂失，不能消费")
    CARD_CANCELLED = ("canteen.card_cancelled", 402, "此卡已注销，不能消费")
    PERSON_INACTIVE = ("canteen.person_inactive", 402, "持卡人已停用，请到食堂服务台处理")
    OUTSIDE_MEAL_PERIOD = ("canteen.outside_meal_period", 402, "现在不是就餐时间")
    NO_PRICE = ("canteen.no_price", 402, "本餐次未设置您的价格，请到食堂服务台处理")
    MEAL_LIMIT_REACHED = ("canteen.meal_limit_reached", 402, "本餐已消费，每餐限 {limit} 次")
    OVER_AMOUNT_LIMIT = ("canteen.over_amount_limit", 402, "单笔金额超过上限 {limit} 元")
    INSUFFICIENT_BALANCE = ("canteen.insufficient_balance", 402, "余额不足，请充值后再试")
    OFFLINE_OVER_LIMIT = ("canteen.offline_over_limit", 402, "脱机消费超过单笔上限，待人工核查")
    OFFLINE_TOO_MANY = ("canteen.offline_too_many", 402, "脱机消费超过每卡次数上限，待人工核查")
    OFFLINE_PRICE_MISMATCH = ("canteen.offline_price_mismatch", 402, "脱机收取的金额与持卡人的价格不符，待人工核查")
    OFFLINE_NOT_FIXED_PRICE = ("canteen.offline_not_fixed_price", 402, "该终端不是定额模式，不应脱机收款，待人工核查")
    OFFLINE_OUTSIDE_PERIOD = ("canteen.offline_outside_period", 402, "脱机消费不在任何餐次时段内，待人工核查")
    OFFLINE_WALLET_CLOSED = ("canteen.offline_wallet_closed", 402, "持卡人的一卡通已销户，脱机消费待人工核查")
    DISPUTED = ("canteen.disputed", 409, "终端提示未支付但已扣款，待食堂核查")
    AMOUNT_REQUIRED = ("canteen.amount_required", 422, "请输入金额")
    ITEMS_REQUIRED = ("canteen.items_required", 422, "请选择菜品")
    DISH_UNKNOWN = ("canteen.dish_unknown", 422, "菜品不存在或已下架")
    PAYMENT_NOT_FOUND = ("canteen.payment_not_found", 404, "消费记录不存在")
    REFUND_NOT_ALLOWED = ("canteen.refund_not_allowed", 409, "只能当天对已支付的消费退款")
    CANTEEN_NOT_FOUND = ("canteen.canteen_not_found", 404, "食堂不存在")
    CANTEEN_CODE_TAKEN = ("canteen.canteen_code_taken", 409, "食堂编码已存在")
    PERIOD_INVALID = ("canteen.period_invalid", 422, "餐次时间不正确：开始时间须早于结束时间，且不与其他餐次重叠")
    DEVICE_NOT_TERMINAL_KIND = ("canteen.device_not_terminal", 422, "只有消费终端或自助终端可以绑定到食堂")
    UNIT_NOT_FOUND = ("canteen.unit_not_found", 404, "单位不存在或不在您的管理范围内")
