"""A pile's password (OCPP security profile 1, HTTP Basic): made here, shown once, kept as a
digest. The password is 24 random characters from the machine, not a person's choice, so a
plain SHA-256 digest suffices and is checked in microseconds, which matters when a whole carport
reconnects at once after a power cut (a password hash made for people would take seconds)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 24


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))


def digest(password: str) -> str:
    return "sha256$" + hashlib.sha256(password.encode()).hexdigest()


def matches(password: str, stored: str) -> bool:
    return hmac.compare_digest(digest(password), stored)
