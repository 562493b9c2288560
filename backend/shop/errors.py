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
    # H2 orders
    CART_FULL = ("shop.cart_full", 422, "购物车最多放 {most} 种商品")
