"""What each module's demo data (`<module>/demo.py`) is given, and what it hands back.

A module's `async def seed(demo: DemoContext) -> list[str]` writes its demo data through its own
services, reaching the process's long-lived objects (the cipher for personal data, the photo
store, Redis, the platform settings) through `demo`, and returns lines saying what it made. A secret that exists only
once (a device's key, a password) is handed to `demo.secret`, never put in those lines: the
caller prints the secrets last, in one box, so they are not lost among the start-up logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis

from backend.core.config import Settings
from backend.core.crypto import FieldCipher
from backend.core.storage import Storage


@dataclass
class DemoContext:
    cipher: FieldCipher
    storage: Storage
    redis: aioredis.Redis
    settings: Settings
    secrets: list[tuple[str, str]] = field(default_factory=list)

    def secret(self, label: str, value: str) -> None:
        """Keep a one-time secret to show once, after everything else the start-up prints."""
        self.secrets.append((label, value))
