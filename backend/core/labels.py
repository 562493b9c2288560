"""Enums whose members carry the Chinese label people see, so a page never restates it.

    class CardState(LabelledEnum):
        ACTIVE = "active", "正常"

The value is what is stored; `label` is what a page, an export or a message shows.
"""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    label: str

    # `label` has a default only so that a type checker accepts a lookup by value (`CardState("lost")`);
    # every member gives one, and tests/backend/test_labels.py fails on a member without.
    def __new__(cls, value: str, label: str = "") -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """value -> label, in declaration order (for a select's options or a template)."""
        return {member.value: member.label for member in cls}
