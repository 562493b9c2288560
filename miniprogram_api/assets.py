"""The cadre's asset and room QR codes: scan one to see what it is (an asset's card without its
value or its custodian's name, or a room), and report a repair of the asset scanned (随手拍 with
the asset and its room filled in)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, rate_limited, runtime
from backend.assets.schemas import AssetRepairIn, AssetRepairOut, ScanIn, ScanOut
from backend.assets.service import asset_repairs, lookup
from backend.core.timeutil import now
from backend.core.web.apidocs import api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.modules import settings_of

bp = Blueprint("mp_assets", url_prefix="/assets")
TITLE = "小程序·资产扫码"


@bp.post("/scan")
@api("识别扫到的资产或房间二维码", ScanOut)
@cadre_required
@accepts(ScanIn)
async def scan(request: Request, body: ScanIn):
    """A code of another system answers 422 assets.qr_foreign, a damaged one assets.qr_invalid."""
    base = settings_of(runtime(request).settings, "assets").qr_base_url
    return ok(await lookup.scan(base, body.code))


@bp.post("/<asset_no:str>/repairs")
@api("从资产二维码报修（随手拍，自动带出资产与所在房间）", AssetRepairOut, status=(201, 200))
@cadre_required
@rate_limited("api_rate_limit", "mp_asset_repair", per_principal=True)
@accepts(AssetRepairIn)
async def report_repair(request: Request, asset_no: str, body: AssetRepairIn):
    report, created = await asset_repairs.report_repair(
        request.ctx.principal.person_id,
        asset_no[:20],
        body.client_ref,
        body.category_id,
        body.description,
        body.photo_ids,
        now(),
    )
    return ok(report, 201 if created else 200)
