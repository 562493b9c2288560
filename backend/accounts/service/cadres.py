"""Cadre login from the mini-program: WeChat code → openid → (bind by phone) → our session.

The client never tells us who it is: the openid comes from WeChat's code2session, the phone from
WeChat's getuserphonenumber, and the person from matching that phone on the roster. WeChat's
session_key stays in Redis with our session and is never sent to the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.errors import AccountsError
from backend.accounts.models import Person
from backend.accounts.service.people import PHONE_CONTEXT, person_view
from backend.core.crypto import FieldCipher
from backend.core.errors import AuthError
from backend.core.modules import resolve
from backend.core.sessions import TokenStore
from backend.core.timeutil import now
from backend.core.wechat import WeChatApi, WeChatCodeRejected, WeChatUnavailable
from backend.modules import modules


@dataclass(frozen=True)
class CadreAuth:
    """What cadre login needs: WeChat, the session stores and the field cipher."""

    wechat: WeChatApi
    sessions: TokenStore  # cadre sessions
    bind_tickets: TokenStore  # short-lived: an openid waiting to be bound to a roster person
    cipher: FieldCipher


@dataclass(frozen=True)
class CadrePrincipal:
    person_id: int
    openid: str


async def _wechat_session(auth: CadreAuth, js_code: str):
    if not auth.wechat.configured:
        raise AccountsError.WECHAT_NOT_CONFIGURED.error()
    try:
        return await auth.wechat.code_to_session(js_code)
    except WeChatCodeRejected as exc:
        raise AccountsError.WECHAT_CODE_INVALID.error() from exc
    except WeChatUnavailable as exc:
        raise AccountsError.WECHAT_UNAVAILABLE.error() from exc


async def _open_session(auth: CadreAuth, person: Person, openid: str, session_key: str) -> dict:
    token = await auth.sessions.issue({"person_id": person.id, "openid": openid, "session_key": session_key})
    await person.fetch_related("unit")
    return {"bound": True, "token": token, "profile": person_view(person, auth.cipher)}


async def login(auth: CadreAuth, js_code: str) -> dict:
    """Exchange a wx.login code. A bound openid gets a session; an unbound one a bind ticket."""
    wx = await _wechat_session(auth, js_code)
    person = await Person.get_or_none(wechat_openid=wx.openid)
    if person is None:
        ticket = await auth.bind_tickets.issue({"openid": wx.openid, "session_key": wx.session_key})
        return {"bound": False, "bind_ticket": ticket}
    if not person.is_active:
        raise AccountsError.PERSON_INACTIVE.error()
    return await _open_session(auth, person, wx.openid, wx.session_key)


async def bind(auth: CadreAuth, bind_ticket: str, phone_code: str) -> dict:
    """Bind the ticket's openid to the roster person whose phone WeChat vouches for."""
    pending = await auth.bind_tickets.read(bind_ticket)
    if pending is None:
        raise AccountsError.BIND_TICKET_INVALID.error()
    try:
        phone = await auth.wechat.phone_number(phone_code)
    except WeChatCodeRejected as exc:
        raise AccountsError.PHONE_CODE_INVALID.error() from exc
    except WeChatUnavailable as exc:
        raise AccountsError.WECHAT_UNAVAILABLE.error() from exc

    index = auth.cipher.blind_index(phone, context=PHONE_CONTEXT)
    async with in_transaction() as conn:
        person = await Person.get_or_none(phone_index=index).using_db(conn)
        if person is None:
            raise AccountsError.PHONE_NOT_IN_ROSTER.error()
        if not person.is_active:
            raise AccountsError.PERSON_INACTIVE.error()
        if person.wechat_openid not in (None, pending["openid"]):
            raise AccountsError.PERSON_ALREADY_BOUND.error()
        # Conditional: of two binds racing for one person, exactly one wins. The openid is
        # unique too: one WeChat binding two people at once loses on the constraint.
        try:
            claimed = (
                await Person.filter(id=person.id, wechat_openid=None)
                .using_db(conn)
                .update(wechat_openid=pending["openid"], wechat_bound_at=now())
            )
        except IntegrityError:
            raise AccountsError.WECHAT_ALREADY_BOUND.error() from None
        if not claimed and person.wechat_openid != pending["openid"]:
            raise AccountsError.PERSON_ALREADY_BOUND.error()
    await auth.bind_tickets.revoke(bind_ticket)
    person = await Person.get(id=person.id)
    return await _open_session(auth, person, pending["openid"], pending["session_key"])


async def authenticate(auth: CadreAuth, token: str) -> CadrePrincipal:
    """The cadre behind a session; a person deactivated or unbound since loses it at once."""
    data = await auth.sessions.read(token)
    if data is None:
        raise AuthError.SESSION_EXPIRED.error() if token else AuthError.NOT_AUTHENTICATED.error()
    if not await Person.filter(id=data["person_id"], wechat_openid=data["openid"], is_active=True).exists():
        await auth.sessions.revoke(token)
        raise AuthError.SESSION_EXPIRED.error()
    return CadrePrincipal(person_id=data["person_id"], openid=data["openid"])


async def logout(auth: CadreAuth, token: str) -> None:
    await auth.sessions.revoke(token)


async def profile(auth: CadreAuth, principal: CadrePrincipal) -> dict:
    """The cadre's roster entry (masked) and the parts they play in the modules (`roles`, each
    module's `cadre_roles`), which decide the services the mini-program's home shows."""
    person = await Person.get_or_none(id=principal.person_id, wechat_openid=principal.openid).select_related("unit")
    if person is None or not person.is_active:
        raise AuthError.SESSION_EXPIRED.error()
    roles = [role for m in modules() if m.cadre_roles for role in await resolve(m.cadre_roles)(person.id)]
    return person_view(person, auth.cipher) | {"roles": roles}
