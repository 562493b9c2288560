"""What the guard post's console pages share: their permissions, the module's settings, visits
as rows (always masked), the buildings and the roster search for a walk-in's host, and the
inline QR image of a pass slip."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from sanic.request import Request

from backend.access.config import AccessSettings
from backend.access.models import Visit
from backend.access.permissions import AccessPermission
from backend.access.service import personal
from backend.accounts.guards import runtime
from backend.accounts.service import people
from backend.core.crypto import FieldCipher, mask_id_card, mask_phone
from backend.core.permissions import Scope
from backend.modules import settings_of
from backend.places import service as places

VIEW = AccessPermission.VIEW_ACCESS
REGISTER = AccessPermission.REGISTER_VISITOR
UNMASK = AccessPermission.UNMASK_VISITOR
HOST_CHOICES = 20


def settings(request: Request) -> AccessSettings:
    return settings_of(runtime(request).settings, "access")


def qr_svg(text: str) -> str:
    """The QR code as inline SVG markup: sharp on paper at any size, and nothing to fetch."""
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2).save(buffer)
    markup = buffer.getvalue().decode()
    return markup[markup.index("<svg") :]


def _clear(cipher: FieldCipher, value: str | None, context: str) -> str | None:
    return cipher.decrypt(value, context=context) if value else None


def visit_row(visit: Visit, cipher: FieldCipher) -> dict:
    """A visit as the console shows it: name, phone, ID number and plate masked."""
    return {
        "id": visit.id,
        "code": visit.code,
        "state": visit.state.value,
        "state_label": visit.state.label,
        "source": visit.source.value,
        "source_label": visit.source.label,
        "visitor_name": personal.mask_name(visit.visitor_name),
        "phone": mask_phone(_clear(cipher, visit.phone_encrypted, personal.PHONE)) or "",
        "id_number": mask_id_card(_clear(cipher, visit.id_number_encrypted, personal.ID_NUMBER)) or "",
        "plate": visit.plate_masked,
        "company": visit.company,
        "purpose": visit.purpose,
        "people": 1 + len(visit.companions),
        "companions": [personal.mask_name(c) for c in visit.companions],
        "host_id": visit.host_id,
        "host_unit_id": visit.host_unit_id,
        "building_ids": visit.building_ids,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "entered_at": visit.entered_at,
        "left_at": visit.left_at,
        "host_confirmed_via": visit.host_confirmed_via.label if visit.host_confirmed_via else "",
        "host_confirmed_at": visit.host_confirmed_at,
        "screening": visit.screening,
        "revoked_reason": visit.revoked_reason,
        "created_at": visit.created_at,
    }


async def with_names(rows: list[dict]) -> list[dict]:
    """Adds the host's name and unit and the buildings' names to visit rows."""
    hosts = {p.id: p for p in await people.people_summaries({r["host_id"] for r in rows})}
    units = await people.units_by_id({r["host_unit_id"] for r in rows})
    buildings = await places.full_names({b for r in rows for b in r["building_ids"]})
    for row in rows:
        host, unit = hosts.get(row["host_id"]), units.get(row["host_unit_id"])
        row["host"] = host.name if host else ""
        row["host_unit"] = unit.name if unit else ""
        row["buildings"] = "、".join(buildings.get(b, "") for b in row["building_ids"])
    return rows


async def building_options() -> list[tuple[str, str]]:
    return [(str(b["id"]), b["name"]) for b in await places.buildings()]


async def host_choices(query: str) -> list[tuple[str, str]]:
    """Active people whose name or employee number contains `query`, as (id, "姓名（工号 · 单位）")."""
    query = query.strip()[:30]
    if not query:
        return []
    found = await (await people.people_query(Scope.EVERYTHING, query=query)).order_by("employee_no").limit(HOST_CHOICES)
    return [(str(p.id), f"{p.name}（{p.employee_no} · {p.unit.name}）") for p in found]
