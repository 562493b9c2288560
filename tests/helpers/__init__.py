"""Shared steps of the tests: admins with given permissions, the demo roster, signed requests, photos."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from backend.accounts.demo import ROSTER_CSV, UNITS
from backend.accounts.service import admins
from backend.accounts.service import people as service
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.demo import create_superadmin

PASSWORD = "Str0ng-Passw0rd!"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client, username: str, password: str = PASSWORD) -> str:
    response = await client.post("/admin/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


async def superadmin_token(client, username: str = "root") -> str:
    await create_superadmin(username, "超级管理员", PASSWORD)
    return await login(client, username)


async def make_admin(
    username: str, permissions: list[str], unit_code: str | None = None, canteen_code: str | None = None
) -> dict:
    """An admin holding exactly `permissions`, platform-wide, over `unit_code`'s subtree or over
    the canteen `canteen_code`."""
    role = await admins.create_role(CLI_ACTOR, None, f"r_{username}", f"角色 {username}", permissions)
    # Chosen by the tests, not by someone else: no password change stands before their pages.
    admin = await admins.create_admin(CLI_ACTOR, username, username, PASSWORD, must_change_password=False)
    await admins.grant_role(
        CLI_ACTOR, None, admin["id"], role["code"], unit_code, ("canteen", canteen_code) if canteen_code else None
    )
    return admin


async def admin_token(
    client, username: str, permissions: list[str], unit_code: str | None = None, canteen_code: str | None = None
) -> str:
    await make_admin(username, permissions, unit_code, canteen_code)
    return await login(client, username)


async def seed_units_and_roster(cipher) -> None:
    for code, name, parent in UNITS:
        await service.create_unit(CLI_ACTOR, Scope.EVERYTHING, code, name, parent)
    await service.import_roster(CLI_ACTOR, cipher, Scope.EVERYTHING, "demo.csv", ROSTER_CSV.encode(), dry_run=False)


def json_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def console_login(client, username: str, password: str = PASSWORD) -> str:
    """Log in through the console's login form as a browser would; returns the session's CSRF
    token (the session itself stays in the client's cookie jar)."""
    form = await client.get("/console/login")
    response = await client.post(
        "/console/login",
        data={
            "csrf_token": CSRF_FIELD.search(form.text).group(1),
            "username": username,
            "password": password,
            "next": "/console/",
        },
    )
    assert response.status_code == 302, response.text
    return await console_csrf(client)


async def console_csrf(client) -> str:
    page = await client.get("/console/")
    assert page.status_code == 200, page.text
    return CSRF_FIELD.search(page.text).group(1)


async def console_admin(
    client, username: str, permissions: list[str], unit_code: str | None = None, canteen_code: str | None = None
) -> str:
    """A console session of an admin holding exactly `permissions`; returns its CSRF token."""
    await make_admin(username, permissions, unit_code, canteen_code)
    return await console_login(client, username)


def jpeg(width: int = 640, height: int = 480) -> bytes:
    """A plain JPEG made on the spot, for uploads."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()
