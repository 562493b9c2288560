"""From a tap or a scan to what the screen shows: online first, the offline journal otherwise.

Each tap gets its transaction number here, once. The backend has `online_deadline` to answer; if
it does not (or cannot be reached, or fails), a card payment is decided offline under the same
number and journaled. An attempt that timed out may still have been applied by the backend:
the upload then comes back as a duplicate of it and charges nothing more (one the backend had
refused is put before a canteen manager instead). If the offline rules refuse a tap whose online
attempt was sent and went unanswered, the attempt is journaled as voided (amount 0): should the
backend have charged it after all, the upload puts that charge before a canteen manager, since
the screen told the diner "refused". Pay codes and balance
queries need the backend, so offline they are refused in words the diner understands.

At a free-amount or menu terminal a payment carries its order (kiosk.orders): the amount keyed,
or the dishes chosen, which the backend prices. Such a terminal takes nothing offline. Offline,
a fixed-price terminal charges the card's own category price (kiosk.offline), and that amount
is what the screen shows, the receipt prints and the backend charges on upload.

Results are plain dicts, the payload the screen page renders:
    {"kind": "paid", "offline": false, "txn_no", "name", "period", "amount_fen", "subsidy_fen",
     "cash_fen", "balance": {"cash_fen", "subsidy_fen"}}
    {"kind": "paid", "offline": true, "txn_no", "period", "amount_fen", "category"}
    {"kind": "balance", "name", "balance": {"cash_fen", "subsidy_fen", "overdraft_owed_fen", ...}}
    {"kind": "refused", "code", "message"}
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from hardware.receipt import Fen, Receipt
from kiosk.backend_client import BackendClient
from kiosk.journal import Journal, JournalEntry
from kiosk.offline import CATEGORY_NAMES, FIXED_PRICE, NOT_FIXED_PRICE, STAFF, offline_price, offline_refusal
from kiosk.orders import Order
from kiosk.sync import Link, Unreachable, answered, json_of

log = logging.getLogger(__name__)

REFUSED = 402
UNREADABLE_CARD = "无法识别此卡，请重新刷卡"
UNREADABLE_CODE = "无法识别的付款码，请重新出示"
PAY_CODE_OFFLINE = "网络中断，暂不能使用付款码，请刷卡"
BALANCE_OFFLINE = "网络中断，暂时无法查询余额"
TERMINAL_FAULT = "本机暂时无法收款，请联系食堂工作人员"
# Refusals other than 402 that are the diner's business, not the terminal's: told in the backend's words.
DINER_REFUSALS = frozenset({"canteen.dish_unknown"})

# The backend's rules for what it takes (wallet.normalize_uid, TerminalPayIn.pay_code): a tap that
# breaks them is refused here rather than journaled as something the backend would turn down.
CARD_UID = re.compile(r"^(?:[0-9A-F]{2}){4,16}$")
MAX_PAY_CODE = 32


def new_txn_no(moment: datetime) -> str:
    """A transaction number unique to this terminal: the time to the second and 24 random bits."""
    return f"{moment:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def refused(message: str, code: str) -> dict:
    return {"kind": "refused", "code": code, "message": message}


class Cashier:
    def __init__(
        self,
        backend: BackendClient,
        journal: Journal,
        link: Link,
        *,
        online_deadline: float,
        clock: Callable[[], datetime],
    ):
        self.backend = backend
        self.journal = journal
        self.link = link
        self.online_deadline = online_deadline
        self.now = clock  # the time in the canteen's zone

    async def _online(self, call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response | None:
        """The backend's answer within the deadline; None when it gave none (the link is then
        marked lost and the sync loop finds out when it is back)."""
        if self.link.online is False:
            return None
        try:
            response = answered(await asyncio.wait_for(call(), self.online_deadline))
        except (httpx.HTTPError, TimeoutError, Unreachable) as problem:
            log.info("backend did not answer in time: %r", problem)
            self.link.lost()
            return None
        self.link.reached()
        return response

    def _refusal(self, response: httpx.Response) -> dict:
        """A 402 is a refusal the diner reads as the backend words it (and so are the few other
        refusals in DINER_REFUSALS); any other 4xx is this terminal's fault (configuration,
        clock), told to staff in the log."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = (body.get("error") if isinstance(body, dict) else None) or {}
        if (response.status_code == REFUSED or error.get("code") in DINER_REFUSALS) and error.get("message"):
            return refused(error["message"], error.get("code", ""))
        log.error("backend refused the terminal: %s %s", response.status_code, response.text[:500])
        return refused(TERMINAL_FAULT, "kiosk.terminal_fault")

    async def pay_by_card(self, card_uid: str, order: Order | None = None) -> dict:
        """Pay by card: at a free-amount or menu terminal, `order` is what is paid."""
        if not CARD_UID.match(card_uid):
            return refused(UNREADABLE_CARD, "kiosk.unreadable_card")
        txn_no = new_txn_no(self.now())
        # With the link known lost, _online sends nothing: the backend cannot have charged the tap.
        sent = self.link.online is not False
        response = await self._online(lambda: self.backend.pay(txn_no, card_uid=card_uid, **_paying(order)))
        if response is None:
            return await self._pay_offline(txn_no, card_uid, sent_online=sent)
        if response.status_code == 200:
            return {"kind": "paid", "offline": False, **json_of(response)}
        return self._refusal(response)

    async def _pay_offline(self, txn_no: str, card_uid: str, *, sent_online: bool) -> dict:
        moment = self.now()
        risk = self.link.risk
        paid_times = await asyncio.to_thread(self.journal.paid_times_for_card, card_uid, moment.date())
        period = risk.period_at(moment) if risk else None
        this_meal = sum(1 for paid_at in paid_times if period and period.contains(paid_at.astimezone(moment.tzinfo)))
        reason = offline_refusal(risk, card_uid, moment, len(paid_times), this_meal)
        if reason is not None:
            if sent_online:
                # The backend may have applied the unanswered attempt: journal it, voided, so
                # the upload finds such a charge. Amount 0, as the terminal took nothing.
                await asyncio.to_thread(
                    self.journal.append, JournalEntry(txn_no, card_uid, 0, moment, moment.date(), voided=True)
                )
            return refused(reason, "kiosk.offline_refused")
        # offline_refusal refuses a tap without risk parameters, outside a meal period or without a price.
        if risk is None or period is None:
            raise RuntimeError("an offline payment was accepted without risk parameters or a meal period")
        # The card's own price, which the backend charges on upload: what the screen shows.
        amount = offline_price(risk, card_uid, moment)
        if not amount:
            raise RuntimeError(f"an offline payment was accepted without a price for card {card_uid}")
        entry = JournalEntry(txn_no, card_uid, amount, moment, moment.date())
        await asyncio.to_thread(self.journal.append, entry)
        return {
            "kind": "paid",
            "offline": True,
            "txn_no": txn_no,
            "period": period.name,
            "amount_fen": entry.amount_fen,
            "category": risk.category_of(card_uid),
        }

    async def pay_by_code(self, pay_code: str, order: Order | None = None) -> dict:
        if len(pay_code) > MAX_PAY_CODE:
            return refused(UNREADABLE_CODE, "kiosk.unreadable_code")
        txn_no = new_txn_no(self.now())
        response = await self._online(lambda: self.backend.pay(txn_no, pay_code=pay_code, **_paying(order)))
        if response is None:
            fixed_price = self.link.risk is None or self.link.risk.mode == FIXED_PRICE
            return refused(PAY_CODE_OFFLINE if fixed_price else NOT_FIXED_PRICE, "kiosk.offline_pay_code")
        if response.status_code == 200:
            return {"kind": "paid", "offline": False, **json_of(response)}
        return self._refusal(response)

    async def balance(self, card_uid: str) -> dict:
        if not CARD_UID.match(card_uid):
            return refused(UNREADABLE_CARD, "kiosk.unreadable_card")
        response = await self._online(lambda: self.backend.balance(card_uid))
        if response is None:
            return refused(BALANCE_OFFLINE, "kiosk.offline_balance")
        if response.status_code == 200:
            return {"kind": "balance", **json_of(response)}
        return self._refusal(response)


def _paying(order: Order | None) -> dict:
    if order is None:
        return {}
    return {"items": order.items} if order.items else {"amount_fen": order.amount_fen}


def receipt_for(result: dict, canteen_name: str, at: datetime) -> Receipt:
    """The receipt of a paid result: the split and balances online; offline the amount taken
    (the card's own price, named when it is not the staff price)."""
    if result["offline"]:
        lines = [("餐次", result["period"]), ("金额", Fen(result["amount_fen"])), ("方式", "脱机消费")]
        category = result.get("category", STAFF)
        if category != STAFF:
            lines.insert(2, ("价格", f"{CATEGORY_NAMES.get(category, category)}价"))
    else:
        lines = [
            ("姓名", result["name"]),
            ("餐次", result["period"]),
            ("金额", Fen(result["amount_fen"])),
            ("餐补支付", Fen(result["subsidy_fen"])),
            ("现金支付", Fen(result["cash_fen"])),
            ("现金余额", Fen(result["balance"]["cash_fen"])),
            ("餐补余额", Fen(result["balance"]["subsidy_fen"])),
        ]
    return Receipt(title=canteen_name, lines=lines, time=at, transaction_no=result["txn_no"])
