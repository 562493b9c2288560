"""The cadre's produce shop (共富食味坊): this week's theme, its products and their photos."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, runtime
from backend.core.timeutil import now
from backend.core.web.apidocs import JPEG, Query, api
from backend.core.web.responses import ok, private_image
from backend.shop.models import Category
from backend.shop.schemas import ShelfOut, ShelfProductDetailOut, ShopHomeOut
from backend.shop.service import catalogue, cycles, shelf

bp = Blueprint("mp_shop", url_prefix="/shop")
TITLE = "小程序·共富食味坊"


@bp.get("/home")
@api("食味坊首页：本期主题周与主推商品，或下期预告", ShopHomeOut)
@cadre_required
async def home(request: Request):
    return ok(await shelf.home(now()))


@bp.get("/products")
@api(
    "本期商品（可按分类筛选、按关键词搜索）",
    ShelfOut,
    query=(Query("category", "分类", choices=Category), Query("q", "关键词：品名、产地或介绍")),
)
@cadre_required
async def products(request: Request):
    return ok(
        await shelf.shelf(
            now(), category=request.args.get("category", "")[:20], words=request.args.get("q", "")[: shelf.MAX_QUERY]
        )
    )


@bp.get("/products/<product_id:int>")
@api("商品详情（含本期在售规格、价格、余量与限购）", ShelfProductDetailOut)
@cadre_required
async def product(request: Request, product_id: int):
    return ok(await shelf.product(now(), product_id))


@bp.get("/products/<product_id:int>/photo")
@api("商品照片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@cadre_required
async def product_photo(request: Request, product_id: int):
    body = await catalogue.product_photo(runtime(request).storage, product_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg", max_age=86400)


@bp.get("/cycles/<cycle_id:int>/banner")
@api("主题周横幅图片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@cadre_required
async def cycle_banner(request: Request, cycle_id: int):
    body = await cycles.banner(runtime(request).storage, cycle_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg", max_age=86400)
