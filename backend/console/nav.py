"""The console's navigation, built from the modules' declarations: each entry names the
permission it needs, so an admin sees only the pages they may open (and each page refuses the
others anyway)."""

from __future__ import annotations

from backend.core.modules import NavSection
from backend.core.permissions import AdminPrincipal


def visible_nav(sections: tuple[NavSection, ...], principal: AdminPrincipal, current_path: str) -> list[dict]:
    """Sections with the items this admin may open; the item whose path best matches the
    current page is marked active."""
    items = [i for s in sections for i in s.items if i.permission is None or principal.can(i.permission)]
    matches = [
        i for i in items if current_path == i.path or (i.path != "/console/" and current_path.startswith(i.path))
    ]
    active = max(matches, key=lambda i: len(i.path), default=None)
    shown_sections = []
    for section in sections:
        shown = [{"title": i.title, "path": i.path, "active": i is active} for i in section.items if i in items]
        if shown:
            shown_sections.append({"title": section.title, "items": shown})
    return shown_sections
