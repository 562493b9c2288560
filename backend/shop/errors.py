"""Error codes of the produce shop: catalogue, theme weeks, carts and orders, payments, refunds,
pickup and settlements."""

from backend.core.errors import ErrorCode


class ShopError(ErrorCode):
    SUPPLIER_NOT_FOUND = ("shop.supplier_not_found", 404, "供货方不存在或已停用")
    SUPPLIER_NAME_TAKEN = ("shop.supplier_name_taken", 409, "供货方“{name}”已登记")
    PRODUCT_NOT_FOUND = ("shop.product_not_found", 404, "商品不存在")
    SKU_NOT_FOUND = ("shop.sku_not_found", 404, "商品规格不存在")
    SKU_SPEC_TAKEN = ("shop.sku_spec_taken", 409, "该商品已有规格“{spec}”")
    PRICE_INVALID = ("shop.price_invalid", 422, "价格应为大于 0 的金额")
    LIMIT_INVALID = ("shop.limit_invalid", 422, "限购数量应为 0（不限）到 999 之间的整数")
    STOCK_INVALID = ("shop.stock_invalid", 422, "数量应为大于 0 的整数")
    STOCK_SHORT = ("shop.stock_short", 409, "“{name}”库存不足")
    CYCLE_NOT_FOUND = ("shop.cycle_not_found", 404, "主题周不存在")
    CYCLE_WINDOW_INVALID = ("shop.cycle_window_invalid", 422, "截单时间应晚于开始下单时间")
    CYCLE_OVERLAP = ("shop.cycle_overlap", 409, "与主题周“{title}”的下单时间重叠")
    PICKUP_DAYS_INVALID = ("shop.pickup_days_invalid", 422, "取货日应在开始下单之后，且至少一天")
    NO_OPEN_CYCLE = ("shop.no_open_cycle", 409, "本周暂未开放下单")
    CYCLE_CLOSED = ("shop.cycle_closed", 409, "本期已截单，欢迎下周再来")
    NOT_IN_CYCLE = ("shop.not_in_cycle", 409, "“{name}”不在本期销售")
    OFF_SHELF = ("shop.off_shelf", 409, "“{name}”已下架")
    PRESALE_CLOSED = ("shop.presale_closed", 409, "“{name}”预售已截止")
    QUANTITY_INVALID = ("shop.quantity_invalid", 422, "购买数量应为 1 到 99 之间的整数")
    OVER_LIMIT = ("shop.over_limit", 409, "“{name}”每人限购 {limit} 件，您本期已买 {bought} 件")
    CART_EMPTY = ("shop.cart_empty", 422, "购物车是空的")
    ORDER_NOT_FOUND = ("shop.order_not_found", 404, "订单不存在")
    ORDER_NOT_PENDING = ("shop.order_not_pending", 409, "订单已支付、已取消或已超时，不能再支付")
    ORDER_NOT_CANCELLABLE = ("shop.order_not_cancellable", 409, "只有待支付的订单可以取消；已支付的请申请退款")
    STOCK_KEY_USED = ("shop.stock_key_used", 409, "这张表单已用于另一次库存变动，请刷新页面后重新填写")
    # reports and settlement
    REPORT_RANGE_INVALID = ("shop.report_range_invalid", 422, "统计区间的截止日期不能早于起始日期，最长 {days} 天")
    SETTLEMENT_PERIOD_INVALID = ("shop.settlement_period_invalid", 422, "结算区间的截止日期不能早于起始日期")
    SETTLEMENT_PERIOD_FUTURE = ("shop.settlement_period_future", 422, "结算区间只能到今天为止，不能结算尚未到来的日子")
    SETTLEMENT_AMOUNT_INVALID = ("shop.settlement_amount_invalid", 422, "结算金额应大于 0")
    SETTLEMENT_OVER_OWED = (
        "shop.settlement_over_owed",
        409,
        "“{name}”截至 {day} 应付未结 {owed} 元，本次结算 {amount} 元超出了应付金额",
    )
    SETTLEMENT_KEY_USED = ("shop.settlement_key_used", 409, "这张结算单已用于另一笔结算，请刷新页面后重新填写")
    # ---- catalogue: suppliers, products, SKUs, stock, theme weeks and their items ----
    PHONE_INVALID = ("shop.phone_invalid", 422, "联系电话格式不正确，应为手机号或带区号的座机号")
    SUPPLIER_INACTIVE = ("shop.supplier_inactive", 409, "供货方“{name}”已停用，不能再登记新商品")
    STOCK_BELOW_ZERO = ("shop.stock_below_zero", 409, "“{name}”现有库存 {stock}，盘点调整后不能小于 0")
    ADJUST_INVALID = ("shop.adjust_invalid", 422, "调整数量应为 -{most} 到 {most} 之间且不为 0 的整数")
    NO_PHOTO = ("shop.no_photo", 404, "还没有照片")
    CYCLE_TOO_LONG = ("shop.cycle_too_long", 422, "一期主题周的下单时间最长 {days} 天")
    PICKUP_DAY_TOO_LATE = ("shop.pickup_day_too_late", 422, "取货日 {day} 距截单超过 {days} 天")
    ITEM_EXISTS = ("shop.item_exists", 409, "“{name}”已在本期主题周中")
    ITEM_NOT_FOUND = ("shop.item_not_found", 404, "本期主题周中没有这件商品")
    PRESALE_CUTOFF_INVALID = ("shop.presale_cutoff_invalid", 422, "预售截单时间应在本期下单时间之内")
    PRESALE_NEEDS_PICKUP_DAY = ("shop.presale_needs_pickup_day", 422, "预售商品请同时填写取货日")
    ITEM_PICKUP_DAY_INVALID = ("shop.item_pickup_day_invalid", 422, "商品取货日应在开始下单（或预售截单）当天或之后")
    ITEM_OUTSIDE_CYCLE = (
        "shop.item_outside_cycle",
        409,
        "“{name}”的预售截单时间或取货日落在修改后的下单时间之外，请先调整该商品",
    )
    # pickup and kiosk
    PICKUP_CODE_INVALID = ("shop.pickup_code_invalid", 422, "请扫描取货二维码，或输入 8 位数字取货码")
    PICKUP_CODE_FOREIGN = ("shop.pickup_code_foreign", 422, "这不是食味坊的取货码，请出示食味坊订单的取货二维码")
    PICKUP_CODE_UNKNOWN = ("shop.pickup_code_unknown", 404, "取货码无效或与订单不符，请核对")
    PICKUP_NOT_READY = ("shop.pickup_not_ready", 409, "该订单的货品尚未到货，暂不能取货")
    PICKUP_REFUNDING = ("shop.pickup_refunding", 409, "该订单有退款正在办理，办理完成前不能交付")
    PICKUP_NOT_ALLOWED = ("shop.pickup_not_allowed", 409, "该订单{state}，不能交付")
    ALREADY_PICKED_UP = ("shop.already_picked_up", 409, "该订单已于 {at} 在 {place} 取货")
    PICKUP_QR_UNAVAILABLE = ("shop.pickup_qr_unavailable", 409, "订单{state}，没有可用的取货码")
    NOT_A_PICKUP_DAY = ("shop.not_a_pickup_day", 422, "{day} 不是该主题周的取货日")
    # money: payment and refunds
    WALLET_SHORT = ("shop.wallet_short", 409, "一卡通现金不足（本单 {amount} 元，餐补不可用），请充值或改用微信支付")
    WALLET_UNUSABLE = ("shop.wallet_unusable", 409, "一卡通账户已销户或人员已离职，不能用余额支付")
    WECHATPAY_NOT_CONFIGURED = ("shop.wechatpay_not_configured", 503, "微信支付暂未开通，请用一卡通余额支付")
    WECHATPAY_UNAVAILABLE = ("shop.wechatpay_unavailable", 503, "微信支付暂时无法访问，请稍后再试")
    WECHAT_NOT_BOUND = ("shop.wechat_not_bound", 403, "请先绑定微信后再用微信支付")
    ORDER_NOT_REFUNDABLE = ("shop.order_not_refundable", 409, "只有已支付、待取货或已取货的订单可以退款")
    REFUND_IN_PROGRESS = ("shop.refund_in_progress", 409, "该订单有一笔退款正在处理，请处理完后再退")
    LINE_NOT_FOUND = ("shop.line_not_found", 404, "订单中没有这件商品")
    REFUND_OVER_LINE = ("shop.refund_over_line", 409, "“{name}”最多还能退 {left} 件")
    REFUND_QUANTITY_INVALID = ("shop.refund_quantity_invalid", 422, "退款数量应为大于 0 的整数")
    REFUND_REASON_INVALID = ("shop.refund_reason_invalid", 422, "请填写退款原因（2 到 200 个字）")
    REFUND_NOT_FOUND = ("shop.refund_not_found", 404, "退款记录不存在")
    REFUND_DECIDED = ("shop.refund_decided", 409, "这笔退款申请已经处理过了")
    # orders
    CART_FULL = ("shop.cart_full", 422, "购物车最多放 {most} 种商品")
