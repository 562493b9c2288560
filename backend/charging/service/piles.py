"""Sites, piles and tags as the console manages them, and a pile's login at the OCPP handshake."""

from __future__ import annotations

from dataclasses import dataclass

from backend.charging.models import Pile
from backend.charging.service import passwords

# ---- login (H1) ----


@dataclass(frozen=True)
class PileRef:
    """What a protocol edge holds for a connected pile: enough to call the services without
    reading the pile's row again on every frame."""

    id: int
    box_id: str
    site_id: int
    name: str
    connectors: int
    max_power_w: int


async def find_for_login(box_id: str, password: str) -> PileRef | None:
    """The active pile `box_id` if `password` is its password; None for an unknown box, an inactive
    one or a wrong password alike, so the handshake's refusal tells an intruder nothing."""
    pile = await Pile.get_or_none(box_id=box_id, is_active=True)
    if pile is None:
        # Compare anyway so an unknown box takes as long to refuse as a wrong password.
        passwords.matches(password, passwords.digest(""))
        return None
    if not passwords.matches(password, pile.password_hash):
        return None
    return PileRef(pile.id, pile.box_id, pile.site_id, pile.name, pile.connectors, pile.max_power_w)
