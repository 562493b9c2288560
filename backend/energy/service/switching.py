"""Cutting and restoring supply (断供与恢复): a decision is recorded once as a SwitchCommand (its
`decision_key` is unique), and a sender works the open commands against the meters' relays.

Why each step is there:
- a cut is never recorded as pending for a safety circuit (安全回路): it is refused on the spot,
  and refused again by the sender should the flag have been set after the decision;
- a cut whose budget is no longer due (raised, extended, restored) is cancelled before sending;
- the switch is read first: a meter in its protected state (保电) is never cut, and a meter
  already where the command wants it is confirmed without sending anything;
- a sent command is confirmed only by reading the switch back; otherwise it is tried again on a
  later run, up to ENERGY_SWITCH_MAX_ATTEMPTS, then FAILED with an alert;
- each attempt is claimed by a conditional update of (state, attempts), so two senders never
  send the same attempt, and an attempt still under way is not retried until RETRY_AFTER (nor
  is another command of that meter sent, or the one under way cancelled, meanwhile);
- a newer decision for a meter supersedes older open ones (the latest word wins: a restore
  decided while a cut is still being retried must not be followed by that cut);
- a cut confirmed after its budget stopped being due is undone at once (`budgets.undo_cut`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core import sql, timeutil
from backend.core.audit import Actor
from backend.core.crypto import FieldCipher
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import (
    AlertKind,
    Meter,
    MeterShare,
    SupplyState,
    SwitchAction,
    SwitchCommand,
    SwitchReason,
    SwitchState,
)
from backend.energy.service import alerts, budgets
from hardware.meters import MeterClient, SwitchRead, open_meter

log = logging.getLogger(__name__)

SECRET_CONTEXT = "energy.control_secret"
# The meter fields a client is built from (meter_client's `meter_row`).
CLIENT_FIELDS = ("endpoint", "device_address", "control_secret_encrypted", "model__protocol", "model__register_map")
_METER_FIELDS = ("id", "code", "name", "unit_id", "is_safety", "model__can_switch", *CLIENT_FIELDS)
OPEN = (SwitchState.PENDING, SwitchState.SENT)
KEY_LENGTH = 100
TEXT_LENGTH = 200
MAX_LISTED = 1000


def _retry_after(settings: EnergySettings) -> timedelta:
    """How long a SENT command rests before its next attempt: longer than one attempt can take
    (three requests, each within the time-out), so a sender still at work is never overtaken."""
    return max(timedelta(seconds=45), timedelta(seconds=4 * settings.poll_timeout_seconds))


def meter_client(
    meter_row: dict, cipher: FieldCipher, timeout: float, opener: Callable[..., MeterClient] = open_meter
) -> MeterClient:
    """A client for the meter in `meter_row` (CLIENT_FIELDS), with its control secret decrypted.
    Raises ValueError (or InvalidTag for a secret the data key cannot open) for a meter whose
    settings cannot be used."""
    encrypted = meter_row["control_secret_encrypted"]
    secret = cipher.decrypt(encrypted, context=SECRET_CONTEXT) if encrypted else ""
    return opener(
        meter_row["model__protocol"],
        meter_row["endpoint"],
        meter_row["device_address"],
        meter_row["model__register_map"],
        secret,
        timeout,
    )


def _describe(meter: dict) -> str:
    return f"{meter['name']}（{meter['code']}）"


def _db_values(**values: Any) -> list[Any]:
    # Times go through the ORM's own zone first: on SQLite they are text compared as text.
    return sql.db_values(
        SwitchCommand,
        **{k: sql.python_value(SwitchCommand, k, v) if isinstance(v, datetime) else v for k, v in values.items()},
    )


async def _insert_command(conn: Any, values: dict[str, Any]) -> int | None:
    """The new command's id, or None when its decision_key is already recorded. A conflict is no
    error: inside the caller's transaction on PostgreSQL an IntegrityError would abort all the
    rest the caller did."""
    names = list(values)
    inserted = await sql.rows(
        conn,
        f"INSERT INTO energy_switch_command ({', '.join(names)}) "
        f"VALUES ({', '.join(f'${i}' for i in range(1, len(names) + 1))}) "
        "ON CONFLICT (decision_key) DO NOTHING RETURNING id",
        *_db_values(**values),
    )
    return inserted[0]["id"] if inserted else None


def _refusal(meter: dict, action: SwitchAction) -> str:
    """Why `action` may not be sent to `meter` whatever its switch says ("" when it may)."""
    if action is SwitchAction.CUT and meter["is_safety"]:
        return "安全回路，不能断供"
    if not meter["model__can_switch"]:
        return "该电表没有可控的开关"
    return ""


async def request(
    conn: Any,
    meter_id: int,
    action: SwitchAction,
    reason: SwitchReason,
    decision_key: str,
    budget_id: int | None = None,
    actor: Actor | None = None,
    note: str = "",
) -> bool:
    """Record the decision to cut or restore `meter_id`'s supply, in the caller's transaction
    `conn` (None: the default connection). True when a PENDING command was recorded; False when
    `decision_key` was already recorded (the decision is taken once however often the deciding
    job runs), or when the meter may not be switched: a cut of a safety circuit, or a meter
    without a switch, is recorded REFUSED with an alert SWITCH_REFUSED, and nothing is sent."""
    if not 1 <= len(decision_key) <= KEY_LENGTH:
        raise ValueError(f"decision_key must be 1 to {KEY_LENGTH} characters")
    conn = conn or connections.get("default")
    found = await Meter.filter(id=meter_id).using_db(conn).values(*_METER_FIELDS)
    if not found:
        raise EnergyError.METER_NOT_FOUND.error()
    meter = found[0]
    at = timeutil.now()
    values: dict[str, Any] = {
        "meter_id": meter_id,
        "budget_id": budget_id,
        "action": action,
        "reason": reason,
        "decision_key": decision_key,
        "requested_by_id": actor.admin_id if actor else None,
        "note": note.strip()[:TEXT_LENGTH],
        "attempts": 0,
        "created_at": at,
    }
    refusal = _refusal(meter, action)
    if not refusal:
        return await _insert_command(conn, {**values, "state": SwitchState.PENDING, "last_error": ""}) is not None
    command_id = await _insert_command(
        conn, {**values, "state": SwitchState.REFUSED, "last_error": refusal, "settled_at": at}
    )
    if command_id is not None:
        await alerts.raise_alert(
            AlertKind.SWITCH_REFUSED,
            f"{_describe(meter)}{action.label}未执行：{refusal}",
            f"switch_refused:{command_id}",
            unit_id=meter["unit_id"],
            meter_id=meter_id,
            budget_id=budget_id,
            conn=conn,
        )
    return False


@dataclass(frozen=True)
class _Attempt:
    """What one attempt found: the switch as last read (None when it could not be read after
    the send), and whether the meter is where the command wants it."""

    read: SwitchRead | None
    confirmed: bool = False
    protected: bool = False
    problem: str = ""


def _position(on: bool) -> str:
    return "合闸" if on else "拉闸"


async def _attempt(meter: dict, on: bool, settings: EnergySettings, cipher: FieldCipher, opener) -> _Attempt:
    timeout = settings.poll_timeout_seconds
    try:
        client = meter_client(meter, cipher, timeout, opener)
    except (ValueError, InvalidTag) as exc:
        return _Attempt(None, problem=f"电表的通信设置无法使用：{str(exc) or '控制密码无法解密'}"[:TEXT_LENGTH])
    try:
        # Three requests, each within the time-out the client was given; this bounds them all.
        async with asyncio.timeout(3 * timeout + 1):
            before = await client.read_switch()
            if not before.status.usable or before.on is None:
                return _Attempt(None, problem=f"读取开关状态失败：{before.status.message or '无应答'}")
            if before.protected and not on:
                return _Attempt(before, protected=True)
            if before.on == on:
                return _Attempt(before, confirmed=True)
            sent = await client.switch(on)
            after = await client.read_switch()
    except TimeoutError:
        return _Attempt(None, problem=f"{timeout} 秒内无应答")
    finally:
        await client.close()
    said = "" if sent.usable else f"（下发时：{sent.message}）"
    if not after.status.usable or after.on is None:
        # The relay may or may not have acted: its state is not known until the next read.
        return _Attempt(None, problem=f"读回开关状态失败：{after.status.message or '无应答'}{said}")
    if after.on != on:
        return _Attempt(after, problem=f"读回开关仍为{_position(after.on)}{said}")
    return _Attempt(after, confirmed=True)


async def _record_switch(meter_id: int, read: SwitchRead, at: datetime) -> None:
    assert read.on is not None
    await Meter.filter(id=meter_id).update(
        supply_state=SupplyState.ON if read.on else SupplyState.OFF, protected=read.protected, supply_read_at=at
    )


@dataclass(frozen=True)
class _Claimed:
    """A command this sender has claimed as attempt `attempt`, with its meter."""

    command: dict
    meter: dict
    attempt: int
    at: datetime

    @property
    def action(self) -> SwitchAction:
        return SwitchAction(self.command["action"])

    async def settle(
        self, state: SwitchState, problem: str = "", alert: AlertKind | None = None, text: str = ""
    ) -> None:
        """Move the command to `state`, with the alert raised in the same transaction; nothing
        when another sender has moved the command on since the claim."""
        async with in_transaction() as conn:
            changed = (
                await SwitchCommand.filter(id=self.command["id"], state=SwitchState.SENT, attempts=self.attempt)
                .using_db(conn)
                .update(state=state, settled_at=self.at, last_error=problem[:TEXT_LENGTH])
            )
            if changed and alert is not None:
                await alerts.raise_alert(
                    alert,
                    text,
                    f"switch_{state.value}:{self.command['id']}",
                    unit_id=self.meter["unit_id"],
                    meter_id=self.meter["id"],
                    budget_id=self.command["budget_id"],
                    conn=conn,
                )

    async def refuse(self, why: str) -> None:
        text = f"{_describe(self.meter)}{self.action.label}未执行：{why}"
        await self.settle(SwitchState.REFUSED, why, AlertKind.SWITCH_REFUSED, text)


async def _work(claimed: _Claimed, settings: EnergySettings, cipher: FieldCipher, opener) -> None:
    """One attempt at a claimed command."""
    command, meter, action = claimed.command, claimed.meter, claimed.action
    refusal = _refusal(meter, action)
    if refusal:
        # The meter's flags changed after the decision was recorded.
        await claimed.refuse(refusal)
        return
    cut_for_budget = action is SwitchAction.CUT and command["budget_id"] is not None
    if cut_for_budget and not await budgets.cut_still_due(command["budget_id"], claimed.at):
        await claimed.settle(SwitchState.CANCELLED, "发送前复核：预算已不再用尽（调增、延期或已恢复）")
        return
    attempt = await _attempt(meter, action is SwitchAction.RESTORE, settings, cipher, opener)
    if attempt.read is not None:
        await _record_switch(meter["id"], attempt.read, claimed.at)
    if attempt.protected:
        await claimed.refuse("电表处于保电状态，不能断供")
    elif attempt.confirmed:
        cut = action is SwitchAction.CUT
        done = "已断供（读回确认拉闸）" if cut else "已恢复供应（读回确认合闸）"
        await claimed.settle(
            SwitchState.CONFIRMED, alert=AlertKind.CUT if cut else AlertKind.RESTORED, text=_describe(meter) + done
        )
        if cut_for_budget:
            await _undo_if_no_longer_due(command, claimed.at)
    elif claimed.attempt >= settings.switch_max_attempts:
        text = f"{_describe(meter)}{action.label}经 {claimed.attempt} 次尝试仍未确认：{attempt.problem}"
        await claimed.settle(SwitchState.FAILED, attempt.problem, AlertKind.SWITCH_FAILED, text)
    else:
        await SwitchCommand.filter(id=command["id"], state=SwitchState.SENT, attempts=claimed.attempt).update(
            last_error=attempt.problem[:TEXT_LENGTH]
        )


async def _undo_if_no_longer_due(command: dict, at: datetime) -> None:
    """A budget raised while the cut was on its way (after the check before sending): the cut
    stands confirmed, and a restore follows at once — decided by the budget, under its lock and
    with the key of every restore of that cut, so the raise's own restore is not asked twice."""
    await budgets.undo_cut(command["budget_id"], command["meter_id"], at)


async def _claim(command: dict, at: datetime) -> bool:
    changed = await SwitchCommand.filter(id=command["id"], state=command["state"], attempts=command["attempts"]).update(
        state=SwitchState.SENT, attempts=command["attempts"] + 1, sent_at=at
    )
    return changed == 1


async def send_pending(
    now: datetime, settings: EnergySettings, cipher: FieldCipher, opener: Callable[..., MeterClient] = open_meter
) -> int:
    """Work the open commands once: each meter's newest open command gets one attempt (a SENT
    one only once it has rested RETRY_AFTER), older open commands of the same meter are
    cancelled as superseded. Meters are worked ENERGY_POLL_CONCURRENCY at a time. Returns how
    many commands were claimed or cancelled."""
    open_commands = (
        await SwitchCommand.filter(state__in=OPEN)
        .order_by("id")
        .values("id", "meter_id", "budget_id", "action", "state", "attempts", "sent_at")
    )
    rested = now - _retry_after(settings)
    # A meter with an attempt still under way is left alone until it has rested: cancelling that
    # command, or working a newer one, could let the relay end where the older one put it.
    busy = {c["meter_id"] for c in open_commands if c["state"] == SwitchState.SENT and c["sent_at"] > rested}
    newest: dict[int, dict] = {}
    worked = 0
    for command in open_commands:
        if command["meter_id"] in busy:
            continue
        older = newest.get(command["meter_id"])
        newest[command["meter_id"]] = command
        if older is not None:
            superseded = SwitchCommand.filter(id=older["id"], state=older["state"], attempts=older["attempts"])
            worked += await superseded.update(
                state=SwitchState.CANCELLED, settled_at=now, last_error="已被该电表之后的断供或恢复决定取代"
            )
    due = [c for c in newest.values() if c["state"] == SwitchState.PENDING or c["sent_at"] <= rested]
    meters = {m["id"]: m for m in await Meter.filter(id__in=[c["meter_id"] for c in due]).values(*_METER_FIELDS)}
    limit = asyncio.Semaphore(settings.poll_concurrency)

    async def work(command: dict) -> int:
        async with limit:
            if not await _claim(command, now):
                return 0
            await _work(
                _Claimed(command, meters[command["meter_id"]], command["attempts"] + 1, now), settings, cipher, opener
            )
            return 1

    return worked + sum(await asyncio.gather(*(work(c) for c in due)))


async def commands(scope_unit_ids: list[int] | None, limit: int = 200) -> list[dict]:
    """The latest cut and restore commands, newest first, for the console: of the meters billing
    to `scope_unit_ids` or shared by them (None: every meter)."""
    query = SwitchCommand.all()
    if scope_unit_ids is not None:
        shared = MeterShare.filter(unit_id__in=scope_unit_ids).values("meter_id")
        query = query.filter(Q(meter__unit_id__in=scope_unit_ids) | Q(meter_id__in=Subquery(shared)))
    rows = (
        await query.order_by("-id")
        .limit(max(1, min(limit, MAX_LISTED)))
        .values(
            "id",
            "meter_id",
            "budget_id",
            "decision_key",
            "action",
            "reason",
            "state",
            "attempts",
            "last_error",
            "note",
            "created_at",
            "sent_at",
            "settled_at",
            meter_code="meter__code",
            meter_name="meter__name",
            unit_id="meter__unit_id",
            requested_by="requested_by__display_name",
        )
    )
    units = await people.units_by_id(r["unit_id"] for r in rows if r["unit_id"] is not None)
    return [
        {
            **row,
            "unit_name": units[row["unit_id"]].name if row["unit_id"] in units else "",
            "action_label": SwitchAction(row["action"]).label,
            "reason_label": SwitchReason(row["reason"]).label,
            "state_label": SwitchState(row["state"]).label,
        }
        for row in rows
    ]
