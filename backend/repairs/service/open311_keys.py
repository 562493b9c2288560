"""API keys of Open311 clients (a 12345 hotline desk, a city dashboard): issued from the CLI to a
cadre, in whose name the client's reports are filed, and revoked there.

A key is shown once, when issued. Only its blind index is kept: unlike a device secret (kept
encrypted, because verifying an HMAC needs it), an API key is only ever compared, so nothing
that could give it back is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from backend.accounts.service import people as accounts
from backend.core.audit import Actor, record, update_audited
from backend.core.crypto import FieldCipher
from backend.repairs.errors import Open311Error
from backend.repairs.models import Open311Key

KEY_CONTEXT = "repairs.open311_key"
# Longer than any key we issue: a longer value is refused before it is hashed.
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class KeyHolder:
    """An authenticated Open311 client: its key and the cadre it files reports as."""

    key_id: int
    person_id: int


def key_view(key: Open311Key) -> dict:
    return {
        "id": key.id,
        "name": key.name,
        "person_id": key.person_id,
        "is_active": key.is_active,
        "created_at": key.created_at.isoformat() if key.created_at else None,
    }


async def issue_key(actor: Actor, cipher: FieldCipher, name: str, employee_no: str) -> tuple[dict, str]:
    """A new key for the client `name`, filing as the active cadre `employee_no`; returns its view
    and the key itself, which is never shown again."""
    person_id = (await accounts.people_by_employee_no([employee_no]))[employee_no]
    api_key = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        key = await Open311Key.create(
            name=name, key_index=cipher.blind_index(api_key, context=KEY_CONTEXT), person_id=person_id, using_db=conn
        )
        await record(conn, actor, "repairs.issue_open311_key", "open311_key", key.id, after=key_view(key))
    return key_view(key), api_key


async def revoke_key(actor: Actor, key_id: int) -> dict:
    """The key stops working at once; it stays listed, revoked, for the audit trail."""
    return await update_audited(
        actor,
        Open311Key,
        key_id,
        {"is_active": False},
        view=key_view,
        action="repairs.revoke_open311_key",
        object_type="open311_key",
        not_found=Open311Error.KEY_NOT_FOUND.error(key_id=key_id),
    )


async def list_keys() -> list[dict]:
    """Every key ever issued, with the name and employee number of the cadre it files as."""
    keys = await Open311Key.all().select_related("person").order_by("id")
    return [{**key_view(k), "person_name": k.person.name, "employee_no": k.person.employee_no} for k in keys]


async def authenticate(cipher: FieldCipher, api_key: str) -> KeyHolder:
    """The client holding `api_key`, if the key is active and its cadre still on the roster."""
    if api_key and len(api_key) <= MAX_KEY_LENGTH:
        key = await Open311Key.get_or_none(
            key_index=cipher.blind_index(api_key, context=KEY_CONTEXT), is_active=True
        ).select_related("person")
        if key is not None and key.person.is_active:
            return KeyHolder(key.id, key.person_id)
    raise Open311Error.API_KEY_INVALID.error()
