"""The OCPP 1.6J central system's edge: the WebSocket at `/ocpp/<charge box id>`."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("charging_ocpp", url_prefix="/ocpp")
