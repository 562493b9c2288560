"""Demo data for the embedded default: a unit tree, a few cadres, an admin and a terminal.

It goes through the same services an admin would use (the roster even through the importer),
so the demo shows the real behaviour. Secrets are printed once and never stored in clear.
"""

from __future__ import annotations

import secrets

from backend.accounts import admins, devices, service
from backend.accounts.models import AdminUser, Device, DeviceKind, Role, Unit
from backend.accounts.permissions import ALL
from backend.core.audit import CLI_ACTOR
from backend.core.crypto import FieldCipher
from backend.core.passwords import password_problem

UNITS = [
    ("SJGSW", "市机关事务管理局", None),
    ("FGW", "市发展和改革委员会", "SJGSW"),
    ("FGW-BGS", "办公室", "FGW"),
    ("FGW-GHC", "发展规划处", "FGW"),
    ("CZJ", "市财政局", "SJGSW"),
    ("CZJ-BGS", "办公室", "CZJ"),
]

DEMO_TERMINAL = "T-0001"

ROSTER_CSV = """工号,姓名,单位编码,人员类别,手机号
D0001,张伟,FGW-BGS,在编,13800000001
D0002,王芳,FGW-GHC,在编,13800000002
D0003,李娜,CZJ-BGS,聘用,13800000003
D0004,刘洋,CZJ-BGS,外包,13800000004
D0005,陈静,SJGSW,在编,13800000005
"""


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
    existing_units = set(await Unit.all().values_list("code", flat=True))
    for code, name, parent in UNITS:
        if code not in existing_units:
            await service.create_unit(CLI_ACTOR, None, code, name, parent)
    report = await service.import_roster(CLI_ACTOR, cipher, None, "demo.csv", ROSTER_CSV.encode(), dry_run=False)
    lines.append(f"单位 {len(UNITS)} 个，人员 {report['total']} 名。")
    if not await Role.filter(code="unit_admin").exists():
        await admins.create_role(
            CLI_ACTOR,
            None,
            "unit_admin",
            "单位管理员",
            ["accounts.view_unit", "accounts.view_person", "accounts.import_person"],
        )
    if not await Device.filter(code=DEMO_TERMINAL).exists():
        device, secret = await devices.register_device(
            CLI_ACTOR, cipher, DEMO_TERMINAL, "第一食堂 1 号消费机", DeviceKind.CANTEEN_TERMINAL, "行政中心第一食堂"
        )
        lines.append(f"消费终端 {device['code']} 的设备密钥（只显示这一次）：{secret}")
    if not await AdminUser.filter(username="admin").exists():
        password = generate_password()
        await create_superadmin("admin", "系统管理员", password)
        lines += ["管理员账号：admin", f"管理员密码（只显示这一次，请妥善保存）：{password}"]
    return lines
