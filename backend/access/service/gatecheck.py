"""Stand-in for P's gate decisions (only the Decision C uses; P's file replaces it at merge)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    message: str
    greeting: dict | None

    def view(self) -> dict:
        return {"allowed": self.allowed, "reason": self.reason, "message": self.message, "greeting": self.greeting}
