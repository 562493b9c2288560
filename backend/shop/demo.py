"""Demo data of the produce shop: four suppliers (two local cooperatives, two of the partner
regions 新疆阿克苏 and 湖北恩施), eight products with photos drawn on the spot (Pillow, no
network: a still life of the product's colours and shape, then through the same photo pipeline
as an upload), their SKUs in stock, this week's theme (阿克苏周) open now with a pre-sale batch of
fresh fish, and next week cloned from it. Everything goes through the shop's services, so it is
audited as the console's writes are."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFilter

from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.timeutil import BUSINESS_TZ, now
from backend.shop.models import Category, OriginKind
from backend.shop.service import catalogue, cycles
from backend.shop.service.catalogue import ProductDetails, SupplierDetails
from backend.shop.service.cycles import CycleDetails, ItemDetails

# name, region, kind, contact, phone
SUPPLIERS = (
    ("阿克苏红旗坡果业合作社", "新疆阿克苏地区", OriginKind.PARTNER, "艾力·买买提", "13909970101"),
    ("恩施州富硒农业合作社", "湖北省恩施土家族苗族自治州", OriginKind.PARTNER, "向红梅", "13972700202"),
    ("余杭径山茶农合作社", "杭州市余杭区", OriginKind.LOCAL, "陈建国", "0571-88880303"),
    ("淳安县千岛湖农渔合作社", "杭州市淳安县", OriginKind.LOCAL, "方志强", "13857100404"),
)

# name, supplier, category, origin, description, (colour, accent, shape), [(spec, price, limit, stock)]
PRODUCTS = (
    (
        "阿克苏冰糖心苹果",
        "阿克苏红旗坡果业合作社",
        Category.FRUIT,
        "新疆阿克苏地区",
        "天山雪水灌溉，昼夜温差大，果核处糖分积聚成“冰糖心”，脆甜多汁。",
        ((196, 32, 44), (250, 214, 120), "round"),
        [("一箱 5 kg", 6800, 2, 50), ("一箱 10 kg", 12800, 1, 20)],
    ),
    (
        "阿克苏薄皮核桃",
        "阿克苏红旗坡果业合作社",
        Category.DRY,
        "新疆阿克苏地区",
        "壳薄易剥，仁饱满，原味烘干。",
        ((150, 110, 70), (210, 180, 140), "round"),
        [("1 kg", 4500, 0, 80)],
    ),
    (
        "阿克苏骏枣",
        "阿克苏红旗坡果业合作社",
        Category.DRY,
        "新疆阿克苏地区",
        "自然晾晒的大颗红枣，肉厚核小。",
        ((140, 30, 30), (200, 90, 60), "oval"),
        [("1 kg", 3990, 0, 60)],
    ),
    (
        "恩施富硒土豆",
        "恩施州富硒农业合作社",
        Category.VEGETABLE,
        "湖北省恩施土家族苗族自治州",
        "高山富硒土壤种植，粉糯香甜。",
        ((190, 150, 90), (120, 90, 50), "oval"),
        [("一袋 5 kg", 2990, 0, 40)],
    ),
    (
        "恩施玉露",
        "恩施州富硒农业合作社",
        Category.DRY,
        "湖北省恩施土家族苗族自治州",
        "蒸青针形绿茶，色绿、汤绿、叶绿。",
        ((60, 120, 60), (150, 200, 110), "leaf"),
        [("100 g", 8800, 0, 30)],
    ),
    (
        "径山茶",
        "余杭径山茶农合作社",
        Category.DRY,
        "杭州市余杭区",
        "径山寺畔茶园明前采摘，栗香持久。",
        ((40, 100, 60), (120, 180, 100), "leaf"),
        [("250 g", 12000, 0, 20)],
    ),
    (
        "千岛湖有机鱼",
        "淳安县千岛湖农渔合作社",
        Category.AQUATIC,
        "杭州市淳安县",
        "千岛湖净水养殖的鳙鱼，当天捕捞冷链送达，预售按批次取货。",
        ((40, 110, 170), (200, 220, 230), "fish"),
        [("一条约 1.5 kg", 5800, 2, 30)],
    ),
    (
        "淳安高山蔬菜礼盒",
        "淳安县千岛湖农渔合作社",
        Category.VEGETABLE,
        "杭州市淳安县",
        "高山时令蔬菜组合，每周随季节搭配。",
        ((70, 150, 50), (230, 120, 40), "round"),
        [("一箱 3 kg", 3500, 0, 40)],
    ),
)
FEATURED = ("阿克苏冰糖心苹果", "阿克苏薄皮核桃")
PRESALE = "千岛湖有机鱼"
STORY = (
    "阿克苏地处塔里木盆地西北缘，是我市对口支援的地区。红旗坡的果农用天山雪水浇灌苹果，"
    "本周食味坊直采冰糖心苹果和干果，每一笔货款都直接结算给合作社。"
)


def draw_photo(colour: tuple[int, int, int], accent: tuple[int, int, int], shape: str, seed: int) -> bytes:
    """A still life of the product, drawn: its shapes in its colours on a soft background."""
    rng = random.Random(seed)
    width, height = 800, 600
    image = Image.new("RGB", (width, height), (246, 241, 230))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a table top: warmer towards the bottom
        shade = int(20 * y / height)
        draw.line([(0, y), (width, y)], fill=(246 - shade, 238 - shade, 222 - 2 * shade))
    for _ in range(7):
        x, y = rng.randint(120, width - 120), rng.randint(160, height - 100)
        size = rng.randint(70, 120)
        tone = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in colour)
        if shape == "fish":
            draw.ellipse([x - size * 1.6, y - size * 0.5, x + size * 1.2, y + size * 0.5], fill=tone)
            draw.polygon(
                [(x + size * 1.1, y), (x + size * 1.8, y - size * 0.5), (x + size * 1.8, y + size * 0.5)], fill=tone
            )
            draw.ellipse([x - size * 1.2, y - 12, x - size * 1.2 + 16, y + 4], fill=accent)
        elif shape == "leaf":
            draw.ellipse([x - size, y - size * 0.35, x + size, y + size * 0.35], fill=tone)
            draw.line([(x - size, y), (x + size, y)], fill=accent, width=4)
        else:
            ratio = 0.7 if shape == "oval" else 1.0
            draw.ellipse([x - size, y - size * ratio, x + size, y + size * ratio], fill=tone)
            draw.ellipse([x - size * 0.5, y - size * 0.6 * ratio, x - size * 0.1, y - size * 0.2 * ratio], fill=accent)
    out = io.BytesIO()
    image.filter(ImageFilter.SMOOTH).save(out, "PNG")
    return out.getvalue()


def draw_banner(seed: int) -> bytes:
    """The theme week's banner: the desert's sand under a blue sky, an orchard in rows."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1200, 400), (120, 180, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 240, 1200, 400], fill=(226, 196, 140))
    draw.polygon([(0, 240), (260, 120), (520, 240)], fill=(235, 240, 245))
    draw.polygon([(380, 240), (700, 90), (1000, 240)], fill=(245, 248, 250))
    for x in range(40, 1200, 90):
        y = 290 + rng.randint(-10, 10)
        draw.rectangle([x - 5, y, x + 5, y + 40], fill=(110, 80, 50))
        draw.ellipse([x - 35, y - 50, x + 35, y + 10], fill=(60, 140, 60))
        draw.ellipse([x - 10, y - 30, x + 4, y - 16], fill=(200, 30, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def seed(demo: DemoContext) -> list[str]:
    suppliers = {}
    for name, region, kind, contact, phone in SUPPLIERS:
        created = await catalogue.create_supplier(
            CLI_ACTOR, demo.cipher, SupplierDetails(name, region, kind, contact, phone)
        )
        suppliers[name] = created["id"]
    skus: dict[str, list[int]] = {}
    for index, (name, supplier, category, origin, description, look, specs) in enumerate(PRODUCTS):
        kind = next(k for n, _, k, _, _ in SUPPLIERS if n == supplier)
        product = await catalogue.create_product(
            CLI_ACTOR, ProductDetails(name, suppliers[supplier], category, origin, kind, description)
        )
        await catalogue.set_product_photo(CLI_ACTOR, demo.storage, product["id"], draw_photo(*look, seed=index))
        for spec, price, limit, stock in specs:
            sku = await catalogue.create_sku(CLI_ACTOR, product["id"], spec, price, limit)
            await catalogue.stock_in(CLI_ACTOR, sku["id"], stock, "演示数据首批入库", now())
            skus.setdefault(name, []).append(sku["id"])

    # This week's theme, open since an hour ago for six days; pickup three days after it opened
    # and the day after it closes.
    opens_at = (now() - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    closes_at = opens_at + timedelta(days=6)
    opening_day = opens_at.astimezone(BUSINESS_TZ).date()
    first_pickup = opening_day + timedelta(days=3)
    week = await cycles.create_cycle(
        CLI_ACTOR,
        CycleDetails(
            title="阿克苏周·冰糖心苹果",
            opens_at=opens_at,
            closes_at=closes_at,
            pickup_days=[first_pickup, closes_at.astimezone(BUSINESS_TZ).date() + timedelta(days=1)],
            pickup_place="行政中心一号食堂入口",
            region="新疆阿克苏地区",
            story=STORY,
        ),
    )
    await cycles.set_banner(CLI_ACTOR, demo.storage, week["id"], draw_banner(seed=1))
    for position, (name, *_) in enumerate(PRODUCTS, start=1):
        presale = name == PRESALE
        details = ItemDetails(
            featured=name in FEATURED,
            position=position,
            presale_cutoff=opens_at + timedelta(days=2) if presale else None,
            pickup_day=first_pickup if presale else None,
        )
        for sku_id in skus[name]:
            await cycles.add_item(CLI_ACTOR, week["id"], sku_id, details)
    following = await cycles.clone_next(CLI_ACTOR, week["id"])
    return [
        f"共富食味坊：{len(SUPPLIERS)} 家供货方、{len(PRODUCTS)} 种商品（含照片）；"
        f"本周主题“{week['title']}”正在下单，下一周已复制（主题周 #{following['id']}）",
    ]
