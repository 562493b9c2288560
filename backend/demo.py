"""Demo data for the embedded default: each module's own demo (a unit tree and cadres, canteens
with a week of meals paid, booked and rated, repairs in every state with their photos, a
building), then an admin.

It goes through the same services an admin, a terminal or a cadre would use (the roster even
through the importer), so the demo shows the real behaviour and its books reconcile. Secrets
(the admin's password, the demo terminal's key) are shown once, in a box printed last, and never
stored in clear.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from backend.accounts.models import AdminUser
from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.modules import resolve
from backend.core.passwords import password_problem
from backend.core.permissions import ALL
from backend.modules import modules
from backend.runtime import Runtime

DEMO_ADMIN = "admin"


def generate_password() -> str:
    while True:
        candidate = f"Hq-{secrets.token_urlsafe(12)}"
        if password_problem(candidate) is None:
            return candidate


async def ensure_superadmin_role() -> None:
    if not any(r["code"] == "superadmin" for r in await admins.list_roles()):
        await admins.create_role(CLI_ACTOR, None, "superadmin", "超级管理员", [ALL])


async def create_superadmin(username: str, display_name: str, password: str) -> dict:
    await ensure_superadmin_role()
    admin = await admins.create_admin(CLI_ACTOR, username, display_name, password)
    await admins.grant_role(CLI_ACTOR, None, admin["id"], "superadmin", None)
    return admin


async def reset_admin_password(username: str, password: str) -> dict | None:
    """A lost password's recovery from the server's own shell: the admin `username` gets
    `password` (every session of theirs ends) and is enabled again if disabled. None when there
    is no such admin."""
    admin = await AdminUser.get_or_none(username=username)
    if admin is None:
        return None
    await admins.reset_password(CLI_ACTOR, None, admin.id, password)
    if not admin.is_active:
        await admins.set_admin_active(CLI_ACTOR, None, admin.id, True)
    return await admins.get_admin(admin.id)


@dataclass(frozen=True)
class Seeded:
    """What seeding made (lines to print as it goes) and its one-time secrets (label, value),
    to be shown last; `skipped` when the data was there already."""

    lines: list[str]
    secrets: list[tuple[str, str]]
    skipped: bool = False


async def seed(runtime: Runtime, *, if_empty: bool) -> Seeded:
    """Create the demo data.

    Every step is skipped when its data exists, and the admin comes last, so a run cut short is
    completed by the next one instead of failing on what the first had written.
    """
    if if_empty and await AdminUser.exists():
        return Seeded(["已有数据，跳过演示数据初始化。"], [], skipped=True)
    demo = DemoContext(runtime.cipher, runtime.storage, runtime.redis)
    lines = []
    for module in modules():
        if module.demo:
            lines += await resolve(module.demo)(demo)
    admin: list[tuple[str, str]] = []
    if not await AdminUser.filter(username=DEMO_ADMIN).exists():
        password = generate_password()
        await create_superadmin(DEMO_ADMIN, "系统管理员", password)
        admin = [("管理员账号", DEMO_ADMIN), ("管理员密码", password)]
    return Seeded(lines, [*admin, *demo.secrets])
