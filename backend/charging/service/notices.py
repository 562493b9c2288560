"""What charging tells cadres through WeChat subscribe messages (sent by backend.notices)."""

from __future__ import annotations

from backend.notices import service as notices


async def render_session(session_id: int) -> notices.Message | None:
    return None
