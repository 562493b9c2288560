"""A person leaving (离职): the person marked as left, their WeChat binding revoked, and what
every module settles for them (the wallet closed, its cards cancelled), all in one transaction.

accounts knows nothing of wallets: each module declares its part as a `PersonLeaving`
(`backend.core.modules`) and this module runs them in module order, giving them the types below.
The leave form is submitted once per rendered form: its idempotency key is kept on the person,
and the person's row lock makes a second or concurrent submission wait, then find the person
already left (the same form: answered as done; another form: refused), so nothing is settled twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.accounts.errors import AccountsError
from backend.accounts.models import Person, Unit
from backend.core import idempotency
from backend.core.audit import Actor, record
from backend.core.modules import resolve
from backend.core.permissions import Permission, Scope
from backend.core.timeutil import now
from backend.modules import modules


@dataclass(frozen=True)
class LeavingField:
    """A field the leave form asks for a module's part (a refund method): `options` as (value,
    label) make it a choice; `name` is unique across modules (prefixed with the module's name)."""

    name: str
    label: str
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class LeavingPreview:
    """What leaving will do in one module, in words; the fields it needs; and, if it cannot be
    done now, why (`blocker`)."""

    title: str
    lines: list[str]
    fields: list[LeavingField] = field(default_factory=list)
    blocker: str = ""


@dataclass(frozen=True)
class Departure:
    """One person's leaving as a module's part is given it."""

    person_id: int
    reason: str
    # The leave form's idempotency key, namespaced by admin; unique to this leaving.
    key: str
    answers: Mapping[str, str]
    # Whether the admin holds the permission the module's part declares.
    permitted: bool


def _leave_key(actor: Actor, key: str) -> str:
    return f"leave:{actor.admin_id or 'cli'}:{key}"


async def _person_in_scope(scope: Scope, person_id: int, conn: Any = None) -> tuple[Person, str]:
    """The person, and the path of their unit, which `scope` must reach."""
    person = await Person.get_or_none(id=person_id).using_db(conn)
    if person is None:
        raise AccountsError.PERSON_NOT_FOUND.error()
    unit = await Unit.get(id=person.unit_id).using_db(conn)
    scope.require_unit(unit.path)
    return person, unit.path


async def preview_leaving(
    scope: Scope, person_id: int, scope_of: Callable[[Permission], Scope]
) -> list[LeavingPreview]:
    """What leaving would do for the person in every module that has something to settle for
    them; `scope_of` gives what a permission reaches for the admin (whether they may do a
    module's part)."""
    _, unit_path = await _person_in_scope(scope, person_id)
    previews = []
    for module in modules():
        for step in module.person_leaving:
            permitted = scope_of(step.permission).reaches_unit(unit_path)
            preview = await resolve(step.preview)(person_id, permitted)
            # A module with nothing to settle for this person is not shown on the form.
            if preview.lines or preview.fields or preview.blocker:
                previews.append(preview)
    return previews


def leaving_view(person: Person) -> dict:
    return {"is_active": person.is_active, "left_at": person.left_at.isoformat() if person.left_at else None}


async def leave_person(
    actor: Actor,
    scope: Scope,
    person_id: int,
    reason: str,
    answers: Mapping[str, str],
    idempotency_key: str,
    scope_of: Callable[[Permission], Scope],
) -> dict:
    """Mark the person as left, revoke their WeChat binding and run every module's part of
    leaving (the wallet settled and closed, cards cancelled), in one transaction; `scope_of`
    gives what a permission reaches for the admin. The same key (per admin) acts once: a retry is
    answered with `replayed`; a person already left by another form is refused."""
    await _person_in_scope(scope, person_id)
    key = _leave_key(actor, idempotency_key)

    async def act(conn: Any, _locked: None) -> dict:
        person, unit_path = await _person_in_scope(scope, person_id, conn)
        if not person.is_active:
            raise AccountsError.PERSON_LEFT.error()
        settled: dict[str, list[str]] = {}
        for module in modules():
            for step in module.person_leaving:
                permitted = scope_of(step.permission).reaches_unit(unit_path)
                departure = Departure(person_id, reason, key, answers, permitted)
                settled[module.name] = await resolve(step.leave)(conn, actor, departure)
        before = {**leaving_view(person), "wechat_bound": person.wechat_openid is not None}
        person.is_active, person.left_at, person.leave_key = False, now(), key
        person.wechat_openid, person.wechat_bound_at = None, None
        await person.save(
            using_db=conn,
            update_fields=["is_active", "left_at", "leave_key", "wechat_openid", "wechat_bound_at", "updated_at"],
        )
        after = {**leaving_view(person), "wechat_bound": False, "reason": reason, "settled": settled}
        await record(conn, actor, "accounts.leave_person", "person", person.id, before, after)
        return {**leaving_view(person), "settled": settled, "replayed": False}

    async def lock(conn: Any) -> None:
        # Every leaving of this person, and every card issued to them, queues on this row.
        await Person.filter(id=person_id).using_db(conn).select_for_update().only("id").first()

    async def replayed(done: Person) -> dict:
        return {**leaving_view(done), "settled": {}, "replayed": True}

    return await idempotency.run_once(
        act,
        lock=lock,
        find=lambda conn: Person.get_or_none(leave_key=key).using_db(conn),
        matches=lambda done: done.id == person_id,
        refusal=AccountsError.LEAVE_KEY_USED_ELSEWHERE.error,
        replay=replayed,
    )
