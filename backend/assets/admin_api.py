"""Console API of the assets module (`/admin/v1/assets`), for a client of the asset offices or
another system; the console's own pages post forms to the same services: asset cards and
imports, labels, the 公物仓, disposals, stock-takes and the office-space register."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("assets_admin", url_prefix="/admin/v1/assets")
