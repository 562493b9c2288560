"""Approval chains (审批流) for any module: steps by role over a unit, decided by approvers with a
comment, audited, the next approver told when it is their turn."""
