"""The test module's declaration: the kind approvals_test.thing, whose outcomes are recorded in
DECISIONS (subject id, outcome, time) as the kind's module would act on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.core.modules import ApprovalKind, Module

DECISIONS: list[tuple[int, Any, datetime]] = []


async def decided(conn: Any, subject_id: int, outcome: Any, at: datetime) -> None:
    DECISIONS.append((subject_id, outcome, at))


KIND = "approvals_test.thing"
# A kind that declares its chain for when no flow is set up: the unit's leader, then the bureau.
CHECKED_KIND = "approvals_test.checked"

MODULE = Module(
    name="approvals_test",
    title="审批测试",
    approval_kinds={
        KIND: ApprovalKind(
            title="测试申请",
            conditions={"outside_city": "出市", "over_quota": "超出额度"},
            decided="tests.helpers.approvals_test.module:decided",
            page="pages/approvals/detail",
        ),
        CHECKED_KIND: ApprovalKind(
            title="须主管部门审批的测试申请",
            conditions={"outside_city": "出市"},
            decided="tests.helpers.approvals_test.module:decided",
            page="pages/approvals/detail",
            default_steps=(("unit_leader", "", "单位审批"), ("authority", "", "主管部门审批")),
        ),
    },
)
