"""Demo data of EV charging for `make run`: the carport 行政中心光储充车棚 (in the demo building
行政中心 of the places module) with four dual-connector piles sharing its 40 kW of solar and storage,
the province's time-of-use tariff by season with its service fee, and the fleet card of the new-
energy official car stationed at the development and reform commission. The piles' passwords are
shown once, in the box of secrets, as the one line `make piles` takes to run their simulators:
`CHARGING_PILES='CP-0001=… CP-0002=…' make piles`. Everything goes through charging's services."""

from __future__ import annotations

from backend.charging.models import Site
from backend.charging.service import piles, tariffs
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.timeutil import now
from backend.places import service as places

SITE = "行政中心光储充车棚"
BUILDING = "行政中心"
# The carport's power limit (kW): what its solar and storage give at once, less than the piles'
# 56 kW together, so starting a fourth car shares the power out again.
POWER_LIMIT_KW = 40
PILES = (("CP-0001", "1 号桩"), ("CP-0002", "2 号桩"), ("CP-0003", "3 号桩"), ("CP-0004", "4 号桩"))
CONNECTORS = 2
MAX_POWER_KW = 7
FLEET_CAR = "浙AF10010"  # the fleet demo's new-energy sedan stationed at 发改委
FLEET_CARD = "FLEETAF10010"

# Zhejiang's general industrial and commercial time-of-use prices, rounded to fen per kWh: in
# the summer and winter peak months two sharp (尖峰) periods a day, the rest of the year none.
_VALLEY_NIGHT = {"from": "00:00", "to": "08:00", "band": "valley"}
_VALLEY_NOON = {"from": "11:00", "to": "13:00", "band": "valley"}
_VALLEY_LATE = {"from": "22:00", "to": "24:00", "band": "valley"}
SEASONS = [
    {
        "name": "夏冬季",
        "months": [1, 7, 8, 12],
        "prices": {"sharp": 119, "peak": 98, "valley": 31},
        "periods": [
            _VALLEY_NIGHT,
            {"from": "08:00", "to": "09:00", "band": "peak"},
            {"from": "09:00", "to": "11:00", "band": "sharp"},
            _VALLEY_NOON,
            {"from": "13:00", "to": "15:00", "band": "peak"},
            {"from": "15:00", "to": "17:00", "band": "sharp"},
            {"from": "17:00", "to": "22:00", "band": "peak"},
            _VALLEY_LATE,
        ],
    },
    {
        "name": "春秋季",
        "months": [2, 3, 4, 5, 6, 9, 10, 11],
        "prices": {"peak": 95, "flat": 64, "valley": 32},
        "periods": [
            _VALLEY_NIGHT,
            {"from": "08:00", "to": "11:00", "band": "peak"},
            _VALLEY_NOON,
            {"from": "13:00", "to": "17:00", "band": "flat"},
            {"from": "17:00", "to": "22:00", "band": "peak"},
            _VALLEY_LATE,
        ],
    },
]
SERVICE_FEE_FEN_PER_KWH = 50


async def seed(demo: DemoContext) -> list[str]:
    if await Site.filter(name=SITE).exists():
        return []
    building = next((b["id"] for b in await places.buildings() if b["name"] == BUILDING), None)
    site = await piles.create_site(
        CLI_ACTOR, SITE, "市行政中心北侧停车场", 30.2741, 120.1551, POWER_LIMIT_KW, place_id=building
    )
    made = []
    for box_id, name in PILES:
        _, password = await piles.create_pile(CLI_ACTOR, site["id"], box_id, name, CONNECTORS, MAX_POWER_KW)
        made.append(f"{box_id}={password}")
    demo.secret("充电桩模拟器（CHARGING_PILES='…' make piles）", " ".join(made))
    await tariffs.create_version(CLI_ACTOR, "浙江省分时电价（工商业）", now(), SERVICE_FEE_FEN_PER_KWH, SEASONS)
    await piles.register_fleet_card(CLI_ACTOR, FLEET_CARD, FLEET_CAR)
    return [
        f"充电桩：{SITE}，{len(PILES)} 台双枪 {MAX_POWER_KW} kW 充电桩（站点功率上限 {POWER_LIMIT_KW} kW），"
        f"分时电价（服务费 {SERVICE_FEE_FEN_PER_KWH / 100:.2f} 元/千瓦时），公务车 {FLEET_CAR} 的充电卡 {FLEET_CARD}"
    ]
