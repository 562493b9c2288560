"""Console API of EV charging (`/admin/v1/charging`): sites, piles and their passwords, fleet
cards, tariffs, sessions, faults, remote commands and reports."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("charging_admin", url_prefix="/admin/v1/charging")
