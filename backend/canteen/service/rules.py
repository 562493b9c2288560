"""The rules of a terminal payment, as pure functions (no I/O): the online payment
(payments.py) and the offline journal (offline.py) both decide by them, after reading what
they need.

- `price_payment`: what a payment costs as the server prices it (a client's price is never
  taken): the diner's fixed price (`diner_price`, which an offline entry must match too), the
  amount keyed in, or the dishes chosen; then the canteen's per-payment limit.
- `meal_limit_refusal`: the swipes one person may make in one meal period.
- `offline_refusal`, `offline_refusal_under_lock`: why an entry of an offline journal is held
  for review rather than charged; `flagged_lost_card`: why a charged one is flagged.

How an amount is split between subsidy and cash is the wallet's (`charge.split_payment`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from backend.accounts.service.people import StaffCategory
from backend.canteen.errors import CanteenError
from backend.canteen.models import TerminalMode
from backend.canteen.service.terminal_settings import PeriodConfig, TerminalConfig
from backend.core.errors import AppError
from backend.core.money import yuan_text
from backend.wallet.service.wallets import CardState


def diner_price(period: PeriodConfig, staff_category: StaffCategory) -> int:
    """The diner's own price in the meal period (by their diner category); refused when the
    canteen set none for them. Online and offline, a fixed-price terminal charges this."""
    price, _ = period.price_for(staff_category)
    if price is None:
        raise CanteenError.NO_PRICE.error()
    return price


def price_payment(
    config: TerminalConfig,
    period: PeriodConfig,
    staff_category: StaffCategory,
    *,
    amount_fen: int | None = None,
    items: Sequence[tuple[int, int]] = (),
    dishes: Mapping[int, int] | None = None,
    menu_dish_ids: Collection[int] | None = None,
) -> tuple[int, int]:
    """(amount, subsidy cap) of a payment at a terminal in `config.mode`.

    A fixed-price terminal takes the diner's price in the period; a free-amount terminal the
    `amount_fen` keyed in; a menu terminal the `items` (dish id, quantity) at the prices of
    `dishes` (id -> price of the canteen's dishes on sale among those chosen), each of which
    must be on today's menu of the meal (`menu_dish_ids`) when one is set. Raises the refusal."""
    _, cap = period.price_for(staff_category)
    if config.mode == TerminalMode.FIXED_PRICE:
        amount = diner_price(period, staff_category)
    elif config.mode == TerminalMode.FREE_AMOUNT:
        if not amount_fen:
            raise CanteenError.AMOUNT_REQUIRED.error()
        amount = amount_fen
    else:
        if not items:
            raise CanteenError.ITEMS_REQUIRED.error()
        ids = {dish_id for dish_id, _ in items}
        dishes = dishes or {}
        if set(dishes) != ids or (menu_dish_ids is not None and not ids <= set(menu_dish_ids)):
            raise CanteenError.DISH_UNKNOWN.error()
        amount = sum(dishes[dish_id] * quantity for dish_id, quantity in items)
    if amount > config.max_payment_fen:
        raise CanteenError.OVER_AMOUNT_LIMIT.error(limit=yuan_text(config.max_payment_fen))
    return amount, cap


def meal_limit_refusal(period: PeriodConfig, swipes: int) -> AppError | None:
    """Refused once the person has `period.max_swipes` paid swipes in the meal already."""
    if swipes >= period.max_swipes:
        return CanteenError.MEAL_LIMIT_REACHED.error(limit=period.max_swipes)
    return None


def offline_refusal(
    config: TerminalConfig,
    period: PeriodConfig | None,
    staff_category: StaffCategory,
    taken_fen: int,
    periods_charged_here: Sequence[str],
) -> AppError | None:
    """Why an offline payment the terminal took is held rather than charged; None to charge it.

    The rules are the terminal's own (kiosk/offline.py), so that an honest terminal never shows
    as paid a meal held here: only a fixed-price terminal decides offline, and only within a meal
    period (any other amount would rest on the terminal's word alone); it takes the diner's own
    price; the per-payment limit; and per card at this terminal, the payments of the business
    day and the swipes of the meal period (`periods_charged_here`: the period codes of the
    payments charged from this terminal's journal for the card that day). The meal's swipes at
    every terminal are counted under the wallet's lock (`offline_refusal_under_lock`)."""
    if config.mode != TerminalMode.FIXED_PRICE:
        return CanteenError.OFFLINE_NOT_FIXED_PRICE.error()
    if period is None:
        return CanteenError.OFFLINE_OUTSIDE_PERIOD.error()
    try:
        price = diner_price(period, staff_category)
    except AppError as no_price:
        return no_price
    if price != taken_fen:
        # The terminal priced the card by a category it no longer has (or never had: the
        # card was issued after its last sync). The diner was shown `taken_fen`: charging any
        # other amount would break the word of the screen and the receipt.
        return CanteenError.OFFLINE_PRICE_MISMATCH.error()
    if taken_fen > config.offline_max_payment_fen:
        return CanteenError.OFFLINE_OVER_LIMIT.error()
    if len(periods_charged_here) >= config.offline_max_count_per_card:
        return CanteenError.OFFLINE_TOO_MANY.error()
    return meal_limit_refusal(period, list(periods_charged_here).count(period.code))


def offline_refusal_under_lock(period: PeriodConfig, wallet_closed: bool, swipes: int) -> AppError | None:
    """What only the server knows, with the wallet locked: a wallet closed since (its cash was
    paid out on closing: charging now would leave a debt nobody sees), and a meal already taken
    at another terminal, online or offline (one lunch is one lunch)."""
    if wallet_closed:
        return CanteenError.OFFLINE_WALLET_CLOSED.error()
    return meal_limit_refusal(period, swipes)


def flagged_lost_card(state: CardState, state_changed_at: datetime | None, taken_at: datetime) -> bool:
    """An offline payment already happened, so a card lost or cancelled is charged, and flagged
    for review if it was so when the terminal took it (its blacklist was behind)."""
    return state != CardState.ACTIVE and (state_changed_at is None or state_changed_at <= taken_at)
