"""Gates and visitors (门禁与访客): invitations and visitors' requests, the guard post's walk-ins and
entry screening, signed QR passes checked at the gate even offline, staff cards, vehicle plates,
who is inside each building, the blacklist and the purge of visitors' personal data."""

from __future__ import annotations

from backend.access.permissions import AccessPermission as P
from backend.core.modules import Module

MODULE = Module(
    name="access",
    title="门禁与访客",
    models="backend.access.models",
    permissions=P,
    settings="backend.access.config:AccessSettings",
    routes=("backend.access.device_api:bp",),
)
