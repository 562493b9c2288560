"""Demo data of the accounts module: a unit tree, five cadres imported through the roster
importer, and a unit administrator's role."""

from __future__ import annotations

from backend.accounts.models import Role, Unit
from backend.accounts.service import admins
from backend.accounts.service import people as service
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.permissions import Scope
from backend.modules import presets

UNITS = [
    ("SJGSW", "市机关事务管理局", None),
    ("FGW", "市发展和改革委员会", "SJGSW"),
    ("FGW-BGS", "办公室", "FGW"),
    ("FGW-GHC", "发展规划处", "FGW"),
    ("CZJ", "市财政局", "SJGSW"),
    ("CZJ-BGS", "办公室", "CZJ"),
]

ROSTER_CSV = """工号,姓名,单位编码,人员类别,手机号
D0001,张伟,FGW-BGS,在编,13800000001
D0002,王芳,FGW-GHC,在编,13800000002
D0003,李娜,CZJ-BGS,聘用,13800000003
D0004,刘洋,CZJ-BGS,外包,13800000004
D0005,陈静,SJGSW,在编,13800000005
"""


async def seed(demo: DemoContext) -> list[str]:
    existing_units = set(await Unit.all().values_list("code", flat=True))
    for code, name, parent in UNITS:
        if code not in existing_units:
            await service.create_unit(CLI_ACTOR, Scope.EVERYTHING, code, name, parent)
    report = await service.import_roster(
        CLI_ACTOR, demo.cipher, Scope.EVERYTHING, "demo.csv", ROSTER_CSV.encode(), dry_run=False
    )
    if not await Role.filter(code="unit_admin").exists():
        # The 单位管理员 post as the active modules preset it.
        await admins.create_role(
            CLI_ACTOR, None, "unit_admin", "单位管理员", [p.value for p in presets()["单位管理员"]]
        )
    return [f"单位 {len(UNITS)} 个，人员 {report['total']} 名。"]
