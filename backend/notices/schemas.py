"""Shapes of the notices module's answers (published in /openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel


class NoticeTemplatesOut(BaseModel):
    """WeChat's id of each subscribe-message template, by the notice it carries (e.g.
    "repairs.progress"); "" where the bureau has not configured it. The mini-program asks a cadre to
    subscribe to these (wx.requestSubscribeMessage) at the moment a later notice becomes due."""

    templates: dict[str, str]
