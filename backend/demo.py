"""Demo data for the embedded default: each module's own demo (a unit tree and cadres, a canteen
with its meals, a terminal and cards with money, repair categories and a building), then an admin.

It goes through the same services an admin would use (the roster even through the importer),
so the demo shows the real behaviour. Secrets are printed once and never stored in clear.
"""

from __future__ import annotations

import secrets

from backend.accounts.models import AdminUser
from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from backend.core.crypto import FieldCipher
from backend.core.modules import resolve
from backend.core.passwords import password_problem
from backend.core.permissions import ALL
from backend.modules import modules


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


async def seed(cipher: FieldCipher, *, if_empty: bool) -> list[str]:
    """Create the demo data; returns the lines to print (including the one-time secrets).

    Every step is skipped when its data exists, and the admin comes last, so a run cut short is
    completed by the next one instead of failing on what the first had written.
    """
    if if_empty and await AdminUser.exists():
        return ["已有数据，跳过演示数据初始化。"]
    lines = []
    for module in modules():
        if module.demo:
            lines += await resolve(module.demo)(cipher)
    if not await AdminUser.filter(username="admin").exists():
        password = generate_password()
        await create_superadmin("admin", "系统管理员", password)
        lines += ["管理员账号：admin", f"管理员密码（只显示这一次，请妥善保存）：{password}"]
    return lines
