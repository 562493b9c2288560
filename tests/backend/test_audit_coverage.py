"""Every write an admin can make, from the console or through the admin API, leaves an audit
entry (等保: who changed what, when, from where). The proof walks the app's own route table:
every POST/PUT/PATCH/DELETE route under /console and /admin/v1 must have a case here, and
calling it with a valid request as a super admin must write an audit entry with the case's
action, recorded against that admin and that request (its X-Request-ID). A new write route
without a case fails `test_every_write_route_has_a_case`, so it cannot land without its audit.

How to add a case: one entry in CASES, keyed by the route as Sanic names it,
"<METHOD> <uri template>" (e.g. "POST /console/repairs/<report_id:int>/assign"):

    "POST /admin/v1/things/<thing_id:int>": Case("things.change_thing", path=..., body=...),

- `action`: the audit action the write must record (declared in its module's audit_labels).
- `path`: the URI template's parameters, `{"thing_id": 3}`.
- `body`: the form (for /console, sent as a browser form with the session's CSRF token) or the
  JSON body (for /admin/v1, sent with the super admin's bearer token and a fresh
  Idempotency-Key header); with `files`, /admin/v1 sends it as multipart form fields.
- `query`: the query string, for pages that take what they act on from it (`?canteen=ST1`).
- `files`: uploads, as httpx takes them: `{"file": ("name.csv", b"...")}`.

`path` and `body` are values or functions of the World (`lambda w: {...}`), whose helpers make
a fresh thing for the case to act on (`w.person()`, `w.report("resolved")`, `w.payment()`,
`w.code("U")`, ...); a helper that must touch the database returns an awaitable, and awaitables
anywhere in the dict are awaited before the request is made. The cases run one after another on
the demo data (`backend.demo.seed`), so a case must not consume what another case needs: take
a fresh thing from the World instead.

A route that writes nothing an admin is accountable for goes in EXCLUDED with its reason.
"""

from __future__ import annotations

import inspect
import itertools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from backend.access.models import BlockKind, StaffVehicle, StaffVehicleState
from backend.access.service import blacklist as access_blacklist
from backend.access.service import gates as access_gates
from backend.accounts.service import admins, devices, people
from backend.accounts.service.devices import DeviceKind
from backend.approvals.models import ApproverRole
from backend.approvals.service import setup as approvals_setup
from backend.assets.service import cards as asset_cards
from backend.assets.service import categories as asset_categories
from backend.assets.service import officers as asset_officers
from backend.canteen.models import CanteenPayment, DinerCategory, TerminalMode
from backend.canteen.service import canteens
from backend.charging.models import PayerKind, Pile, Site, Tariff
from backend.charging.models import Session as ChargingSession
from backend.charging.service import piles as charging_piles
from backend.console.audit import LABEL_SUFFIX, vocabulary
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.modules import Platform
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, now, today
from backend.demo import create_superadmin, seed
from backend.energy.models import MeterKind
from backend.fleet.models import (
    Driver,
    LicenceClass,
    Purpose,
    RentalCompany,
    RentalRate,
    RequestState,
    Trip,
    TripRequest,
    Vehicle,
    VehicleType,
)
from backend.fleet.service import dispatch as fleet_dispatch
from backend.fleet.service import quotas
from backend.fleet.service import records as fleet_records
from backend.modules import modules, registry
from backend.places import service as places
from backend.repairs.service import catalog, parts
from backend.repairs.service import reports as repair_reports
from backend.repairs.service.reports import Who
from backend.shop.service import catalogue as shop_catalogue
from backend.shop.service import cycles as shop_cycles
from backend.shop.service import refunds as shop_refunds
from backend.wallet.service import subsidy, wallets
from tests.fixtures import access_g
from tests.fixtures import energy_audit as energy
from tests.fixtures.canteen import make_terminal, pay
from tests.fixtures.fleet import AUDIT_TRIP_START, fleet_trip_for_audit, open_flag_for_audit
from tests.helpers import PASSWORD, assets_audit, bearer, console_login, jpeg, login
from tests.helpers.approvals_test.module import KIND as APPROVAL_KIND
from tests.helpers.assets_import import register_xlsx
from tests.helpers.charging_rows import incident
from tests.helpers.gpx import drive, gpx
from tests.helpers.shop_money import owed_supplier, paid_shop_line
from tests.helpers.shop_pickup import arrival_form_for_audit, hand_over_form_for_audit

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_PREFIXES = ("/console/", "/admin/v1/")
ROUTE_PARAMETER = re.compile(r"<(\w+)(?::[^>]+)?>")
ALERT = re.compile(r'role="alert">([^<]+)<')
TAG = re.compile(r"<[^>]+>")

EXCLUDED = {
    "POST /console/login": "signing in: a session, not a change of data (covered by the roles tests)",
    "POST /console/logout": "signing out: a session, not a change of data (covered by the roles tests)",
    "POST /admin/v1/auth/login": "signing in: a session, not a change of data (covered by the roles tests)",
    "POST /admin/v1/auth/logout": "signing out: a session, not a change of data (covered by the roles tests)",
    "POST /console/password": "changing one's own password ends the walk's session; its audit entry is checked in "
    "tests/backend/console/test_forced_password_change.py",
    "POST /admin/v1/auth/password": "changing one's own password ends the walk's session; its audit is checked in "
    "tests/backend/accounts/test_first_login_password.py",
    "POST /console/people/import": "only checks the roster and keeps it for the confirm step, which is the write",
    "POST /console/assets/labels.pdf": "prints a sheet of QR labels for the assets posted: reads cards, writes nothing",
    # ---- a ----
    "POST /console/access/gates/<gate_id:int>/check": "测试道闸 reads the barrier relay's state (kept on the gate as "
    "a reading); it opens nothing and changes no setting",
}


def _roster(employee_no: str) -> bytes:
    """A roster file of one established cadre of 办公室 (FGW-BGS)."""
    return f"工号,姓名,单位编码,人员类别,手机号\n{employee_no},导入测试,FGW-BGS,在编,\n".encode()


@dataclass(frozen=True)
class Case:
    action: str
    path: dict | Callable[[World], Any] = field(default_factory=dict)
    body: dict | Callable[[World], Any] = field(default_factory=dict)
    files: dict | None = None
    query: dict = field(default_factory=dict)


class World:
    """The demo data, the super admin who acts, and fresh things for the cases to act on."""

    def __init__(self, client: httpx.AsyncClient, runtime, admin_id: int, token: str, csrf: str):
        self.client, self.runtime = client, runtime
        self.admin_id, self.token, self.csrf = admin_id, token, csrf
        self.last_card: dict = {}
        self._numbers = itertools.count(1)

    def code(self, prefix: str) -> str:
        """A code nothing else uses: prefix and a number."""
        return f"{prefix}{next(self._numbers):03d}"

    def form_key(self) -> str:
        """The idempotency key a money form is rendered with."""
        return self.code("form-key-")

    def uid(self) -> str:
        """A card UID no card has (upper-case hex, an even number of digits)."""
        return f"0A{next(self._numbers):08d}"

    async def person(self, cash_fen: int = 0) -> int:
        """A new cadre with a wallet, and `cash_fen` in it."""
        employee_no = self.code("AUD")
        await people.import_roster(
            CLI_ACTOR, self.runtime.cipher, Scope.EVERYTHING, "audit.csv", _roster(employee_no), dry_run=False
        )
        person_id = (await people.people_by_employee_no([employee_no]))[employee_no]
        await wallets.ensure_wallet(person_id)
        if cash_fen:
            await wallets.adjust(CLI_ACTOR, person_id, cash_fen, "审计测试充值", self.code("audit-topup-"))
        return person_id

    async def card(self) -> dict:
        """A new cadre's active card, as the path of a card route."""
        person_id = await self.person()
        card = await wallets.issue_card(CLI_ACTOR, person_id, self.uid())
        self.last_card = {"person_id": person_id, "card_id": card["id"]}
        return self.last_card

    async def unit(self) -> int:
        """A new empty unit under 市财政局 (CZJ), which can be renamed or disabled."""
        created = await people.create_unit(CLI_ACTOR, Scope.EVERYTHING, self.code("U"), "审计测试科", "CZJ")
        return created["id"]

    async def card_change(self, change: str) -> dict:
        """A new active card, as the path of the desk's route that changes its state."""
        return {**await self.card(), "change": change}

    async def device(self) -> dict:
        return (
            await devices.register_device(
                CLI_ACTOR, self.runtime.cipher, self.code("AUD-T"), "审计测试终端", DeviceKind.CANTEEN_TERMINAL, ""
            )
        )[0]

    async def device_id(self) -> int:
        return (await self.device())["id"]

    async def device_code(self) -> str:
        return (await self.device())["code"]

    async def shop_paid_line(self) -> dict:
        """A new cadre's paid shop order of one line: {"order_no", "line_id"}."""
        return await paid_shop_line(await self.person(cash_fen=10_000))

    async def shop_refund_request(self) -> dict:
        """A cadre's refund request waiting for staff, as the path of a decision route."""
        person_id = await self.person(cash_fen=10_000)
        paid = await paid_shop_line(person_id)
        asked = await shop_refunds.request(person_id, paid["order_no"], paid["line_id"], 1, "审计测试退款", now())
        return {"refund_no": asked["refund_no"]}

    async def admin(self) -> int:
        return (await admins.create_admin(CLI_ACTOR, self.code("auditee"), "被操作的管理员", PASSWORD))["id"]

    async def payment(self) -> int:
        """A paid lunch of today at the world's own canteen, open all day."""
        txn_no = self.code("AUDTX")
        answer = await pay(self.client, self.terminal, txn_no, card_uid=self.payer_card)
        assert answer.status_code == 200, answer.text
        return (await CanteenPayment.get(terminal_txn_no=txn_no)).id

    async def report(self, state: str = "submitted") -> int:
        """A new repair report (水电, at a spot), taken as far as `state` by the team's technician."""
        report, _ = await repair_reports.submit(
            self.reporter, secrets.token_hex(8), self.water, None, "三楼茶水间", "水龙头漏水", [], now()
        )
        if state == "resolved":
            await repair_reports.assign(Who.admin(CLI_ACTOR), report["id"], self.technician.id, now())
            await repair_reports.start(self.technician, report["id"], now())
            await repair_reports.resolve(self.technician, report["id"], "已更换阀芯", [], [], now())
        return report["id"]

    async def part(self) -> int:
        return (await parts.create_part(CLI_ACTOR, self.code("P-"), "水龙头阀芯", "个", 2))["id"]

    async def approval_flow(self) -> dict:
        """A new unit's own flow of the test approval kind (its one step 单位审批), as the path of
        a flow route (the kind is declared by the module the `approval_kind` fixture activates)."""
        unit = await people.create_unit(CLI_ACTOR, Scope.EVERYTHING, self.code("U"), "审计测试科", "CZJ")
        flow_id = (await approvals_setup.create_flow(CLI_ACTOR, APPROVAL_KIND, unit["code"]))["id"]
        flow = next(f for f in (await approvals_setup.flows_of(APPROVAL_KIND))["overrides"] if f["id"] == flow_id)
        return {"kind": APPROVAL_KIND, "flow_id": flow_id, "step_id": flow["steps"][0]["id"]}

    async def employee_no(self) -> str:
        """The employee number of a new cadre."""
        return (await people.person_summary(await self.person())).employee_no

    async def approver(self) -> int:
        """A new cadre made the unit leader (单位负责人) of 市财政局 for approvals."""
        return (
            await approvals_setup.assign_approver(CLI_ACTOR, await self.employee_no(), ApproverRole.UNIT_LEADER, "CZJ")
        )["id"]

    async def car(self) -> dict:
        """A new pool car and a new driver licensed for it, as a dispatch form names them."""
        vehicle = await Vehicle.create(
            plate=f"浙F{next(self._numbers):05d}",
            vehicle_type=VehicleType.SEDAN,
            seats=5,
            inspection_due=date(2030, 1, 1),
        )
        driver = await Driver.create(
            person_id=await self.person(), licence_class=LicenceClass.C1, licence_expires=date(2030, 1, 1)
        )
        return {"vehicle_id": vehicle.id, "driver_id": driver.id}

    async def car_request(self) -> int:
        """A new approved car request of 张伟 for tomorrow, waiting for a dispatch."""
        request = await TripRequest.create(
            requester_id=(await people.people_by_employee_no(["D0001"]))["D0001"],
            unit_id=(await people.unit_by_code("FGW-BGS")).id,
            client_ref=self.code("car-"),
            purpose=Purpose.GENERAL,
            reason="审计测试用车",
            passengers=2,
            pickup="市民中心",
            destination="市政府",
            starts_at=now() + timedelta(days=1),
            ends_at=now() + timedelta(days=1, hours=2),
            state=RequestState.APPROVED,
        )
        return request.id

    async def car_trip(self) -> int:
        """A trip dispatched for a new request, not yet started."""
        trip = await fleet_dispatch.dispatch(
            CLI_ACTOR, await self.car_request(), **await self.car(), key=self.form_key(), at=now(), buffer_minutes=15
        )
        return trip.id

    async def rental_trip(self) -> int:
        """A trip with a rental company that set off two hours ago, for a request of 张伟."""
        company = await RentalCompany.create(name=self.code("租车公司"))
        await RentalRate.create(company=company, vehicle_type=VehicleType.SEDAN, per_day_fen=30000)
        request = await TripRequest.get(id=await self.car_request())
        start = now() - timedelta(hours=2)
        await TripRequest.filter(id=request.id).update(
            starts_at=start, ends_at=start + timedelta(hours=1), state=RequestState.DISPATCHED
        )
        trip = await Trip.create(
            request=request,
            rental_company=company,
            rental_vehicle_type=VehicleType.SEDAN,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            blocked_until=start + timedelta(hours=1, minutes=15),
            dispatch_key=self.form_key(),
            dispatched_at=start - timedelta(days=1),
        )
        return trip.id

    async def dispatch_form(self) -> dict:
        return {**await self.car(), "idempotency_key": self.form_key()}

    async def roster_preview(self) -> str:
        """The token of a roster checked on the console's import page, waiting to be confirmed."""
        roster = {"file": ("roster.csv", _roster(self.code("IMP")))}
        checked = await self.client.post("/console/people/import", files=roster, data={"csrf_token": self.csrf})
        assert checked.status_code == 200, checked.text
        return re.search(r'name="token" value="([^"]+)"', checked.text).group(1)

    async def fleet_trip(self) -> int:
        """A finished trip of a car of its own, for its track to be imported."""
        return await fleet_trip_for_audit(self.code("浙A9"))

    async def fleet_flag(self) -> int:
        return await open_flag_for_audit(self.code("audit-flag-"))

    async def prepare(self) -> None:
        """What the cases share: a canteen open all day with a terminal and a payer, a role to
        grant, the repairs team's technician and a reporter."""
        self.canteen, self.payer_card = "AUDIT", self.uid()
        await canteens.create_canteen(CLI_ACTOR, self.canteen, "审计测试食堂", scope=Scope.EVERYTHING)
        await canteens.set_period(
            CLI_ACTOR,
            self.canteen,
            "lunch",
            "午餐",
            time(0, 0),
            time(23, 59, 59),
            10,
            {DinerCategory.STAFF: (1500, 0)},
            scope=Scope.EVERYTHING,
        )
        self.terminal = await make_terminal(self.runtime.cipher, "AUD-PAY", TerminalMode.FIXED_PRICE, self.canteen)
        payer = await self.person(cash_fen=50_000)
        await wallets.issue_card(CLI_ACTOR, payer, self.payer_card)
        self.dishes = [
            (await canteens.create_dish(CLI_ACTOR, "ST1", name, 800, [], scope=Scope.EVERYTHING))["id"]
            for name in ("番茄炒蛋", "紫菜蛋汤")
        ]
        self.role = "audit_viewer"
        await admins.create_role(CLI_ACTOR, None, self.role, "审计测试角色", ["accounts.view_unit"])
        staff = await people.people_by_employee_no(["D0001", "D0004"])
        self.reporter, self.technician = await Who.of_cadre(staff["D0001"]), await Who.of_cadre(staff["D0004"])
        self.water = next(c["id"] for c in await catalog.list_categories() if c["code"] == "water")


def _payout(**fields) -> dict:
    return {"method": "cash", "payout_reference": "", "reason": "审计测试", **fields}


LUNCH = {"code": "lunch", "name": "午餐", "starts_at": "11:00", "ends_at": "13:30", "max_swipes_per_card": "1"}
OFFLINE_COUNT = {"offline_max_count_per_card": "3"}
CATEGORY = {"name": "电梯", "team_code": "WX1", "accept_hours": "1", "resolve_hours": "8"}
TEAM = {"name": "电梯班", "dispatcher_employee_no": "D0005"}


async def _fleet_vehicle(plate: str) -> int:
    return (await fleet_records.vehicle_by_plate(plate))["id"]


async def _fleet_driver(employee_no: str) -> int:
    return next(d["id"] for d in await fleet_records.list_drivers() if d["employee_no"] == employee_no)


async def _fleet_leave(employee_no: str) -> int:
    """A fresh leave of the demo driver, to withdraw."""
    start = datetime(2030, 6, 1, 8, tzinfo=BUSINESS_TZ)
    leave = await fleet_records.add_leave(
        CLI_ACTOR, await _fleet_driver(employee_no), start, start + timedelta(days=1), "培训"
    )
    return leave["id"]


async def _fleet_company() -> int:
    return (await fleet_records.list_companies())[0]["id"]


# ---- shop catalogue: the demo's products and weeks, and fresh weeks far ahead to change ----------


async def _shop_sku(name: str = "阿克苏冰糖心苹果") -> dict:
    product = next(p for p in await shop_catalogue.products_query({"q": name}) if p.name == name)
    sku = (await shop_catalogue.get_product(product.id))["skus"][0]
    return {"product_id": product.id, "sku_id": sku["id"]}


async def _shop_sku_id() -> int:
    return (await _shop_sku("阿克苏薄皮核桃"))["sku_id"]


async def _shop_supplier_id() -> int:
    return (await shop_catalogue.products_query({"q": "阿克苏冰糖心苹果"}).first()).supplier_id


async def _shop_week(world: World, with_item: bool = False) -> dict:
    """A new week in 2040 and later (one per call, a fortnight apart: room for its clone), with one item if asked."""
    opens_at = datetime(2040, 1, 2, 8, tzinfo=BUSINESS_TZ) + timedelta(days=14 * int(world.code("")))
    week = await shop_cycles.create_cycle(
        CLI_ACTOR,
        shop_cycles.CycleDetails("审计周", opens_at, opens_at + timedelta(days=3), [opens_at.date()], "一号食堂"),
    )
    found = {"cycle_id": week["id"]}
    if with_item:
        sku_id = (await _shop_sku())["sku_id"]
        item = await shop_cycles.add_item(CLI_ACTOR, week["id"], sku_id, shop_cycles.ItemDetails())
        found["item_id"] = item["id"]
    return found


def _shop_week_form(world: World) -> dict:
    opens_at = datetime(2040, 1, 2, 8) + timedelta(days=14 * int(world.code("")))
    return {
        "title": "审计周",
        "opens_at": opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "pickup_days": opens_at.date().isoformat(),
        "pickup_place": "一号食堂",
    }


def _shop_week_json(world: World) -> dict:
    form = _shop_week_form(world)
    return {**form, "pickup_days": [form["pickup_days"]]}


SHOP_PRODUCT_FORM = {"name": "审计商品", "category": "fruit", "origin": "新疆阿克苏地区", "origin_kind": "partner"}
SHOP_DATES_FORM = {**SHOP_PRODUCT_FORM, "name": "阿克苏骏枣", "category": "dry"}


def _shop_new_supplier(world: World) -> dict:
    return {"name": world.code("审计合作社"), "region": "杭州市", "origin_kind": "local"}


ASSET_FILE = {
    "file": (
        "assets.xlsx",
        register_xlsx([["审计导入电脑", "Z99", "", "CZJ", "", "", "1000", "2024-01-01", "", "", ""]]),
    )
}

CASES: dict[str, Case] = {
    # ---- accounts: units, roster, admins and roles, devices --------------------------------------
    "POST /console/units": Case(
        "accounts.create_unit", body=lambda w: {"code": w.code("U"), "name": "审计处", "parent_code": "FGW"}
    ),
    "POST /admin/v1/units": Case(
        "accounts.create_unit", body=lambda w: {"code": w.code("U"), "name": "审计处", "parent_code": "FGW"}
    ),
    "POST /console/people/import/confirm": Case("accounts.import_roster", body=lambda w: {"token": w.roster_preview()}),
    "POST /admin/v1/people/import": Case("accounts.import_roster", files={"file": ("roster.csv", _roster("API0001"))}),
    "POST /console/admins": Case(
        "accounts.create_admin",
        body=lambda w: {"username": w.code("clerk"), "display_name": "审计员", "password": PASSWORD},
    ),
    "POST /admin/v1/admins": Case(
        "accounts.create_admin",
        body=lambda w: {"username": w.code("clerk"), "display_name": "审计员", "password": PASSWORD},
    ),
    "POST /console/roles": Case(
        "accounts.create_role",
        body=lambda w: {"code": w.code("role_"), "name": "查看单位", "permissions": ["accounts.view_unit"]},
    ),
    "POST /admin/v1/roles": Case(
        "accounts.create_role",
        body=lambda w: {"code": w.code("role_"), "name": "查看单位", "permissions": ["accounts.view_unit"]},
    ),
    "POST /console/admins/<admin_id:int>/grants": Case(
        "accounts.grant_role", path=lambda w: {"admin_id": w.admin()}, body=lambda w: {"role_code": w.role}
    ),
    "POST /admin/v1/admins/<admin_id:int>/grants": Case(
        "accounts.grant_role", path=lambda w: {"admin_id": w.admin()}, body=lambda w: {"role_code": w.role}
    ),
    "POST /console/admins/<admin_id:int>/password": Case(
        "accounts.reset_admin_password", path=lambda w: {"admin_id": w.admin()}, body={"password": "An0ther-Passw0rd!"}
    ),
    "POST /admin/v1/admins/<admin_id:int>/password": Case(
        "accounts.reset_admin_password", path=lambda w: {"admin_id": w.admin()}, body={"password": "An0ther-Passw0rd!"}
    ),
    "POST /console/admins/<admin_id:int>/active": Case(
        "accounts.set_admin_active", path=lambda w: {"admin_id": w.admin()}, body={"is_active": "0"}
    ),
    "POST /admin/v1/admins/<admin_id:int>/active": Case(
        "accounts.set_admin_active", path=lambda w: {"admin_id": w.admin()}, body={"is_active": False}
    ),
    "POST /console/devices": Case(
        "accounts.register_device", body=lambda w: {"code": w.code("DEV-"), "name": "东门自助机", "kind": "kiosk"}
    ),
    "POST /admin/v1/devices": Case(
        "accounts.register_device", body=lambda w: {"code": w.code("DEV-"), "name": "东门自助机", "kind": "kiosk"}
    ),
    "POST /console/devices/<device_id:int>/secret": Case(
        "accounts.rotate_device_secret", path=lambda w: {"device_id": w.device_id()}
    ),
    "POST /admin/v1/devices/<device_id:int>/secret": Case(
        "accounts.rotate_device_secret", path=lambda w: {"device_id": w.device_id()}
    ),
    "POST /console/devices/<device_id:int>/enabled": Case(
        "accounts.set_device_enabled", path=lambda w: {"device_id": w.device_id()}, body={"is_enabled": "0"}
    ),
    "POST /admin/v1/devices/<device_id:int>/enabled": Case(
        "accounts.set_device_enabled", path=lambda w: {"device_id": w.device_id()}, body={"is_enabled": False}
    ),
    # ---- wallet: cards, adjustments, refunds, closing, subsidy ---------------------------------------
    "POST /admin/v1/wallet/people/<person_id:int>/cards": Case(
        "wallet.issue_card", path=lambda w: {"person_id": w.person()}, body=lambda w: {"uid": w.uid()}
    ),
    "POST /admin/v1/wallet/people/<person_id:int>/cards/<card_id:int>/cancel": Case(
        "wallet.card_cancelled", path=lambda w: w.card()
    ),
    "POST /console/units/<unit_id:int>/rename": Case(
        "accounts.rename_unit", path=lambda w: {"unit_id": w.unit()}, body={"name": "综合科"}
    ),
    "POST /console/units/<unit_id:int>/enabled": Case(
        "accounts.set_unit_enabled", path=lambda w: {"unit_id": w.unit()}, body={"is_enabled": "0"}
    ),
    "POST /console/people/new": Case(
        "accounts.create_person",
        body=lambda w: {
            "employee_no": w.code("NEW"),
            "name": "新同事",
            "unit_code": "FGW-BGS",
            "staff_category": "established",
        },
    ),
    "POST /console/people/<person_id:int>/edit": Case(
        "accounts.update_person",
        path=lambda w: {"person_id": w.person()},
        body=lambda w: {"employee_no": w.code("ED"), "name": "改过名", "staff_category": "contract"},
    ),
    "POST /console/people/<person_id:int>/move": Case(
        "accounts.move_person",
        path=lambda w: {"person_id": w.person()},
        body={"unit_code": "FGW-GHC", "reason": "工作调动"},
    ),
    "POST /console/people/<person_id:int>/leave": Case(
        "accounts.leave_person",
        path=lambda w: {"person_id": w.person(cash_fen=1200)},
        body=lambda w: {
            "idempotency_key": w.form_key(),
            "reason": "调离本市",
            "confirm": "on",
            "wallet_refund_method": "cash",
        },
    ),
    "POST /console/people/<person_id:int>/cards": Case(
        "wallet.issue_card",
        path=lambda w: {"person_id": w.person()},
        body=lambda w: {"uid": w.uid(), "idempotency_key": w.form_key()},
    ),
    "POST /console/people/<person_id:int>/cards/replace": Case(
        "wallet.replace_card",
        path=lambda w: w.card(),
        body=lambda w: {"card_id": w.last_card["card_id"], "uid": w.uid(), "idempotency_key": w.form_key()},
    ),
    "POST /console/people/<person_id:int>/cards/<card_id:int>/<change:lost|unlock|cancel>": Case(
        "wallet.card_lost", path=lambda w: w.card_change("lost")
    ),
    "POST /console/people/<person_id:int>/adjustments": Case(
        "wallet.adjust",
        path=lambda w: {"person_id": w.person()},
        body=lambda w: {"idempotency_key": w.form_key(), "direction": "credit", "amount": "20.5", "reason": "补录"},
    ),
    "POST /admin/v1/wallet/people/<person_id:int>/adjustments": Case(
        "wallet.adjust", path=lambda w: {"person_id": w.person()}, body={"cash_delta_fen": 2050, "reason": "补录"}
    ),
    "POST /console/people/<person_id:int>/cash-refunds": Case(
        "wallet.refund_cash",
        path=lambda w: {"person_id": w.person(cash_fen=5000)},
        body=lambda w: _payout(idempotency_key=w.form_key(), amount="12.30"),
    ),
    "POST /admin/v1/wallet/people/<person_id:int>/cash-refunds": Case(
        "wallet.refund_cash", path=lambda w: {"person_id": w.person(cash_fen=5000)}, body=_payout(amount_fen=1230)
    ),
    "POST /console/people/<person_id:int>/close": Case(
        "wallet.close",
        path=lambda w: {"person_id": w.person(cash_fen=5000)},
        body=lambda w: _payout(idempotency_key=w.form_key(), confirm="on"),
    ),
    "POST /admin/v1/wallet/people/<person_id:int>/close": Case(
        "wallet.close", path=lambda w: {"person_id": w.person(cash_fen=5000)}, body=_payout()
    ),
    "POST /admin/v1/wallet/subsidy-rules": Case(
        "wallet.set_subsidy_rule", body={"unit_code": "FGW", "staff_category": "established", "amount_fen": 20000}
    ),
    "POST /admin/v1/wallet/subsidy-rules/deactivate": Case(
        "wallet.deactivate_subsidy_rule", body={"unit_code": "SJGSW", "staff_category": "established"}
    ),
    "POST /console/wallet/subsidy/rules": Case(
        "wallet.set_subsidy_rule",
        body={"unit_code": "FGW", "staff_category": "contract", "amount_fen": "150", "expires_monthly": "on"},
    ),
    "POST /console/wallet/subsidy/rules/deactivate": Case(
        "wallet.deactivate_subsidy_rule", body={"unit_code": "FGW", "staff_category": "contract"}
    ),
    "POST /console/wallet/subsidy/grants": Case(
        "wallet.grant_subsidy", body=lambda w: {"month": subsidy.month_of(now()), "idempotency_key": w.form_key()}
    ),
    "POST /admin/v1/wallet/subsidy-grants": Case(
        "wallet.grant_subsidy", body=lambda w: {"month": subsidy.month_of(now())}
    ),
    # ---- canteen: canteens, periods, terminals, dishes and menus, refunds ----------------------------
    "POST /console/canteen/canteens": Case(
        "canteen.create_canteen", body=lambda w: {"code": w.code("C"), "name": "二食堂", "max_payment_fen": "80"}
    ),
    "POST /admin/v1/canteen/canteens": Case(
        "canteen.create_canteen", body=lambda w: {"code": w.code("C"), "name": "二食堂", "max_payment_fen": 8000}
    ),
    "POST /console/canteen/canteens/<code:str>": Case(
        "canteen.update_canteen",
        path={"code": "ST1"},
        body={"name": "第一食堂（东区）", "max_payment_fen": "60", "offline_max_payment_fen": "30", **OFFLINE_COUNT},
    ),
    "PUT /admin/v1/canteen/canteens/<code:str>": Case(
        "canteen.update_canteen",
        path={"code": "ST1"},
        body={"name": "第一食堂", "max_payment_fen": 6000, "offline_max_payment_fen": 3000, **OFFLINE_COUNT},
    ),
    "POST /console/canteen/canteens/<code:str>/periods": Case(
        "canteen.set_period", path={"code": "ST1"}, body=LUNCH | {"price_staff": "16", "cap_staff": "10"}
    ),
    "POST /admin/v1/canteen/canteens/<code:str>/periods": Case(
        "canteen.set_period",
        path={"code": "ST1"},
        body=LUNCH | {"prices": {"staff": {"price_fen": 1500, "subsidy_cap_fen": 1000}}},
    ),
    "POST /console/canteen/canteens/<code:str>/terminals": Case(
        "canteen.bind_terminal",
        path={"code": "ST1"},
        body=lambda w: {"device_code": w.device_code(), "mode": "menu", "name": "二楼 3 号窗口"},
    ),
    "POST /admin/v1/canteen/canteens/<code:str>/terminals": Case(
        "canteen.bind_terminal",
        path={"code": "ST1"},
        body=lambda w: {"device_code": w.device_code(), "mode": "fixed_price", "name": "一楼 1 号窗口"},
    ),
    "POST /admin/v1/canteen/canteens/<code:str>/dishes": Case(
        "canteen.create_dish", path={"code": "ST1"}, body={"name": "鱼香肉丝", "price_fen": 1000, "tags": ["荤"]}
    ),
    "POST /admin/v1/canteen/dishes/<dish_id:int>/photo": Case(
        "canteen.set_dish_photo",
        path=lambda w: {"dish_id": w.dishes[0]},
        files={"file": ("dish.jpg", jpeg(), "image/jpeg")},
    ),
    "POST /admin/v1/canteen/canteens/<code:str>/menus": Case(
        "canteen.set_menu",
        path={"code": "ST1"},
        body=lambda w: {"date": today().isoformat(), "period": "lunch", "dish_ids": w.dishes},
    ),
    "POST /console/canteen/dishes": Case(
        "canteen.create_dish", query={"canteen": "ST1"}, body={"name": "宫保鸡丁", "price_fen": "12.5", "tags": "荤 辣"}
    ),
    "POST /console/canteen/dishes/<dish_id:int>": Case(
        "canteen.update_dish",
        path=lambda w: {"dish_id": w.dishes[1]},
        body={"name": "番茄炒蛋", "price_fen": "9", "tags": "素", "is_active": "on"},
    ),
    "POST /console/canteen/dishes/<dish_id:int>/photo": Case(
        "canteen.set_dish_photo",
        path=lambda w: {"dish_id": w.dishes[0]},
        files={"file": ("dish.jpg", jpeg(), "image/jpeg")},
    ),
    "POST /console/canteen/menus": Case(
        "canteen.set_menu",
        query={"canteen": "ST1"},
        body=lambda w: {"date": today().isoformat(), "period": "dinner", "dish_ids": w.dishes},
    ),
    "POST /console/canteen/payments/<payment_id:int>/refund": Case(
        "canteen.refund_payment", path=lambda w: {"payment_id": w.payment()}, body={"reason": "重复扣款"}
    ),
    "POST /admin/v1/canteen/payments/<payment_id:int>/refund": Case(
        "canteen.refund_payment", path=lambda w: {"payment_id": w.payment()}, body={"reason": "重复扣款"}
    ),
    # ---- fleet: dispatching ---------------------------------------------------------------------------
    "POST /console/fleet/requests/<request_id:int>/dispatch": Case(
        "fleet.dispatch_trip", path=lambda w: {"request_id": w.car_request()}, body=lambda w: w.dispatch_form()
    ),
    "POST /admin/v1/fleet/requests/<request_id:int>/dispatch": Case(
        "fleet.dispatch_trip", path=lambda w: {"request_id": w.car_request()}, body=lambda w: w.car()
    ),
    "POST /console/fleet/trips/<trip_id:int>/finish-rental": Case(
        "fleet.finish_rental",
        path=lambda w: {"trip_id": w.rental_trip()},
        body=lambda w: {"returned_at": now().astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M"), "km": "30"},
    ),
    "POST /console/fleet/trips/<trip_id:int>/cancel": Case(
        "fleet.cancel_dispatch", path=lambda w: {"trip_id": w.car_trip()}, body={"reason": "用车人改期"}
    ),
    "POST /console/fleet/trips/<trip_id:int>/reassign": Case(
        "fleet.reassign_trip", path=lambda w: {"trip_id": w.car_trip()}, body=lambda w: w.dispatch_form()
    ),
    # ---- repairs: dispatching, categories and teams, places, spare parts -----------------------------
    "POST /console/repairs/<report_id:int>/assign": Case(
        "repairs.accept_report",
        path=lambda w: {"report_id": w.report()},
        body=lambda w: {"technician_id": w.technician.id, "note": "请今天处理"},
    ),
    "POST /admin/v1/repairs/reports/<report_id:int>/assign": Case(
        "repairs.accept_report",
        path=lambda w: {"report_id": w.report()},
        body=lambda w: {"technician_id": w.technician.id},
    ),
    "POST /console/repairs/bulk-assign": Case(
        "repairs.accept_report",
        body=lambda w: {"report_ids": [w.report(), w.report()], "technician_id": w.technician.id},
    ),
    "POST /admin/v1/repairs/reports/bulk-assign": Case(
        "repairs.accept_report",
        body=lambda w: {"report_ids": [w.report(), w.report()], "technician_id": w.technician.id},
    ),
    "POST /console/repairs/<report_id:int>/close": Case(
        "repairs.reject_report",
        path=lambda w: {"report_id": w.report()},
        body={"action": "reject", "note": "不属于报修范围"},
    ),
    "POST /admin/v1/repairs/reports/<report_id:int>/close": Case(
        "repairs.cancel_report",
        path=lambda w: {"report_id": w.report()},
        body={"action": "cancel", "note": "报修人已自行处理"},
    ),
    "POST /console/repairs/<report_id:int>/reopen": Case(
        "repairs.reopen_report", path=lambda w: {"report_id": w.report("resolved")}, body={"note": "仍然漏水"}
    ),
    "POST /admin/v1/repairs/reports/<report_id:int>/reopen": Case(
        "repairs.reopen_report", path=lambda w: {"report_id": w.report("resolved")}, body={"note": "仍然漏水"}
    ),
    "POST /console/repairs/settings/categories": Case(
        "repairs.save_category",
        body=lambda w: CATEGORY | {"code": w.code("cat"), "is_active": "on"},
    ),
    "POST /admin/v1/repairs/categories": Case(
        "repairs.save_category",
        body=lambda w: CATEGORY | {"code": w.code("cat"), "auto_assign": False},
    ),
    "POST /console/repairs/settings/teams": Case(
        "repairs.save_team",
        body=lambda w: TEAM | {"code": w.code("T"), "member_employee_nos": "D0004"},
    ),
    "POST /admin/v1/repairs/teams": Case(
        "repairs.save_team",
        body=lambda w: TEAM | {"code": w.code("T"), "member_employee_nos": ["D0004"]},
    ),
    "POST /console/repairs/locations": Case("places.create_place", body={"name": "市民中心B座", "parent_id": ""}),
    "POST /admin/v1/repairs/locations": Case("places.create_place", body={"name": "市民中心C座"}),
    "POST /console/repairs/parts": Case(
        "repairs.create_part", body=lambda w: {"code": w.code("P-"), "name": "灯管", "unit": "根", "low_stock": "5"}
    ),
    "POST /admin/v1/repairs/parts": Case(
        "repairs.create_part", body=lambda w: {"code": w.code("P-"), "name": "灯管", "unit": "根", "low_stock": 5}
    ),
    "POST /console/repairs/parts/<part_id:int>/stock-in": Case(
        "repairs.stock_in", path=lambda w: {"part_id": w.part()}, body={"quantity": "20", "note": "采购入库"}
    ),
    "POST /admin/v1/repairs/parts/<part_id:int>/stock-in": Case(
        "repairs.stock_in", path=lambda w: {"part_id": w.part()}, body={"quantity": 20, "note": "采购入库"}
    ),
    # ---- fleet: vehicles, drivers and leaves, rentals and rates, upkeep and providers ---------------
    "POST /console/fleet/vehicles": Case(
        "fleet.create_vehicle",
        body=lambda w: {"plate": f"浙B{next(w._numbers):05d}", "vehicle_type": "sedan", "seats": "5"},
    ),
    "POST /console/fleet/vehicles/<vehicle_id:int>/edit": Case(
        "fleet.update_vehicle",
        path=lambda w: {"vehicle_id": _fleet_vehicle("浙A10001")},
        body={"plate": "浙A10001", "vehicle_type": "sedan", "seats": "5", "odometer_km": "40000"},
    ),
    "POST /console/fleet/vehicles/<vehicle_id:int>/status": Case(
        "fleet.change_vehicle_status",
        path=lambda w: {"vehicle_id": _fleet_vehicle("浙A60009")},
        body={"status": "repair", "reason": "送定点维修"},
    ),
    "POST /console/fleet/drivers": Case(
        "fleet.create_driver", body={"employee_no": "D0003", "licence_class": "C1", "licence_expires": "2030-01-01"}
    ),
    "POST /console/fleet/drivers/<driver_id:int>/edit": Case(
        "fleet.update_driver",
        path=lambda w: {"driver_id": _fleet_driver("D0102")},
        body={"licence_class": "B1", "licence_expires": "2031-06-30", "is_active": "on"},
    ),
    "POST /console/fleet/drivers/<driver_id:int>/leaves": Case(
        "fleet.add_driver_leave",
        path=lambda w: {"driver_id": _fleet_driver("D0101")},
        body={"starts_at": "2030-05-01T08:00", "ends_at": "2030-05-03T18:00", "reason": "年休假"},
    ),
    "POST /console/fleet/drivers/<driver_id:int>/leaves/<leave_id:int>/delete": Case(
        "fleet.remove_driver_leave",
        path=lambda w: {"driver_id": _fleet_driver("D0104"), "leave_id": _fleet_leave("D0104")},
    ),
    "POST /console/fleet/rentals": Case("fleet.save_rental_company", body=lambda w: {"name": w.code("租赁公司")}),
    "POST /console/fleet/rentals/<company_id:int>/rates": Case(
        "fleet.save_rental_rate",
        path=lambda w: {"company_id": _fleet_company()},
        body={"vehicle_type": "off_road", "per_day_fen": "450", "per_km_fen": "1.2"},
    ),
    "POST /console/fleet/cost-rates": Case(
        "fleet.save_cost_rate", body={"vehicle_type": "sedan", "per_km_fen": "1.6", "overtime_per_hour_fen": "30"}
    ),
    "POST /console/fleet/upkeep": Case(
        "fleet.record_upkeep",
        body=lambda w: {
            "vehicle_id": _fleet_vehicle("浙A10001"),
            "kind": "fuel",
            "day": today().isoformat(),
            "cost_fen": "300",
        },
    ),
    "POST /console/fleet/providers": Case(
        "fleet.save_provider", body=lambda w: {"kind": "garage", "name": w.code("定点维修厂")}
    ),
    "POST /console/fleet/quotas/allocate": Case(
        "fleet.allocate_quota",
        body=lambda w: {"unit_id": w.unit(), "year": str(today().year), "amount_fen": "100", "reason": "审计测试"},
    ),
    "POST /console/fleet/quotas/transfer": Case(
        "fleet.transfer_quota",
        body=lambda w: {
            "from_unit_id": _quota_source(w),
            "to_unit_id": w.unit(),
            "year": str(today().year),
            "amount_fen": "10",
            "reason": "审计测试",
            "key": w.code("quota-key-"),
        },
    ),
    # ---- fleet: tracks, compliance flags, sealing, geofence -------------------------------------
    "POST /console/fleet/trips/<trip_id:int>/gpx": Case(
        "fleet.import_track",
        path=lambda w: {"trip_id": w.fleet_trip()},
        body={"datum": "wgs84"},
        files={"file": ("track.gpx", gpx(drive(5, AUDIT_TRIP_START)))},
    ),
    "POST /console/fleet/flags/<flag_id:int>/close": Case(
        "fleet.close_flag", path=lambda w: {"flag_id": w.fleet_flag()}, body={"explanation": "已核实，属临时任务"}
    ),
    "POST /console/fleet/sealing/calendar": Case(
        "fleet.seal_from_calendar", body={"year": "2025"}
    ),  # the demo sealed this year and next
    "POST /console/fleet/sealing": Case(
        "fleet.add_seal_period",
        body={"name": "重大活动保障", "starts_at": "2027-08-01T00:00", "ends_at": "2027-08-03T00:00"},
    ),
    "POST /console/fleet/geofence": Case(
        "fleet.save_geofence",
        body={"name": "市区", "polygon": "120.0,30.0\n120.3,30.0\n120.3,30.4", "dwell_minutes": "10"},
    ),
    # ---- approvals: flows and approvers (deciding is not a console write: approvers decide) ----------
    "POST /console/approvals/flows/<kind:str>": Case("approvals.create_flow", path={"kind": APPROVAL_KIND}),
    "POST /console/approvals/flows/<kind:str>/<flow_id:int>/steps": Case(
        "approvals.add_flow_step",
        path=lambda w: w.approval_flow(),
        body={"title": "出市审批", "role": "authority", "condition": "outside_city"},
    ),
    "POST /console/approvals/flows/<kind:str>/<flow_id:int>/steps/<step_id:int>/remove": Case(
        "approvals.remove_flow_step", path=lambda w: w.approval_flow()
    ),
    "POST /console/approvals/flows/<kind:str>/<flow_id:int>/steps/<step_id:int>/move": Case(
        "approvals.move_flow_step", path=lambda w: w.approval_flow(), body={"direction": "down"}
    ),
    "POST /console/approvals/flows/<kind:str>/<flow_id:int>/delete": Case(
        "approvals.delete_flow", path=lambda w: w.approval_flow()
    ),
    "POST /console/approvals/approvers": Case(
        "approvals.assign_approver",
        body=lambda w: {"employee_no": w.employee_no(), "role": "leader_in_charge", "unit_code": "FGW"},
    ),
    "POST /console/approvals/approvers/<approver_id:int>/active": Case(
        "approvals.withdraw_approver", path=lambda w: {"approver_id": w.approver()}, body={"is_active": "0"}
    ),
    # ---- shop: supplier settlement ----------------------------------------------------------
    "POST /console/shop/reports/settlements": Case(
        "shop.settle_supplier",
        body=lambda w: {
            "supplier_id": _owed_supplier(w),
            "period_start": today().isoformat(),
            "period_end": today().isoformat(),
            "amount_fen": "100.00",
            "reference": "审计测试",
            "key": w.form_key(),
        },
    ),
    "POST /admin/v1/shop/settlements": Case(
        "shop.settle_supplier",
        body=lambda w: {
            "supplier_id": _owed_supplier(w),
            "period_start": today().isoformat(),
            "period_end": today().isoformat(),
            "amount_fen": 100_00,
        },
    ),
    # ---- shop catalogue: suppliers, products, SKUs, stock, theme weeks ------------------------------
    "POST /console/shop/suppliers": Case(
        "shop.create_supplier",
        body=lambda w: {"name": w.code("审计合作社"), "region": "杭州市", "origin_kind": "local"},
    ),
    "POST /admin/v1/shop/suppliers": Case(
        "shop.create_supplier",
        body=lambda w: {"name": w.code("审计合作社"), "region": "杭州市", "origin_kind": "local"},
    ),
    "PUT /admin/v1/shop/suppliers/<supplier_id:int>": Case(
        "shop.update_supplier",
        path=lambda w: {"supplier_id": _shop_supplier_id()},
        body={"name": "阿克苏红旗坡果业合作社", "region": "新疆阿克苏地区", "origin_kind": "partner", "note": "审计"},
    ),
    "POST /console/shop/products": Case(
        "shop.create_product", body=lambda w: {**SHOP_PRODUCT_FORM, "supplier_id": _shop_supplier_id()}
    ),
    "POST /admin/v1/shop/products": Case(
        "shop.create_product", body=lambda w: {**SHOP_PRODUCT_FORM, "supplier_id": _shop_supplier_id()}
    ),
    "POST /console/shop/products/<product_id:int>/edit": Case(
        "shop.update_product",
        path=lambda w: _shop_sku("阿克苏骏枣"),
        body=lambda w: {
            **SHOP_PRODUCT_FORM,
            "name": "阿克苏骏枣",
            "category": "dry",
            "supplier_id": _shop_supplier_id(),
            "is_active": "on",
        },
    ),
    "PUT /admin/v1/shop/products/<product_id:int>": Case(
        "shop.update_product",
        path=lambda w: _shop_sku("阿克苏骏枣"),
        body=lambda w: {
            **SHOP_PRODUCT_FORM,
            "name": "阿克苏骏枣",
            "category": "dry",
            "supplier_id": _shop_supplier_id(),
        },
    ),
    "POST /console/shop/products/<product_id:int>/photo": Case(
        "shop.set_product_photo", path=lambda w: _shop_sku(), files={"file": ("apple.jpg", jpeg(), "image/jpeg")}
    ),
    "POST /admin/v1/shop/products/<product_id:int>/photo": Case(
        "shop.set_product_photo", path=lambda w: _shop_sku(), files={"file": ("apple.jpg", jpeg(), "image/jpeg")}
    ),
    "POST /console/shop/products/<product_id:int>/skus": Case(
        "shop.create_sku", path=lambda w: _shop_sku(), body=lambda w: {"spec": w.code("小箱"), "price_fen": "30"}
    ),
    "POST /admin/v1/shop/products/<product_id:int>/skus": Case(
        "shop.create_sku", path=lambda w: _shop_sku(), body=lambda w: {"spec": w.code("小箱"), "price_fen": 3000}
    ),
    "POST /console/shop/skus/<sku_id:int>/edit": Case(
        "shop.update_sku",
        path=lambda w: _shop_sku("阿克苏骏枣"),
        body={"spec": "1 kg", "price_fen": "39.9", "per_person_limit": "0", "on_shelf": "on"},
    ),
    "PUT /admin/v1/shop/skus/<sku_id:int>": Case(
        "shop.update_sku", path=lambda w: _shop_sku("阿克苏骏枣"), body={"spec": "1 kg", "price_fen": 3990}
    ),
    "POST /console/shop/skus/<sku_id:int>/stock-in": Case(
        "shop.stock_in",
        path=lambda w: _shop_sku(),
        body=lambda w: {"quantity": "5", "note": "审计", "key": w.form_key()},
    ),
    "POST /admin/v1/shop/skus/<sku_id:int>/stock-in": Case(
        "shop.stock_in", path=lambda w: _shop_sku(), body={"quantity": 5, "note": "审计"}
    ),
    "POST /console/shop/skus/<sku_id:int>/adjust": Case(
        "shop.adjust_stock",
        path=lambda w: _shop_sku(),
        body=lambda w: {"delta": "-1", "note": "盘点破损", "key": w.form_key()},
    ),
    "POST /admin/v1/shop/skus/<sku_id:int>/adjustments": Case(
        "shop.adjust_stock", path=lambda w: _shop_sku(), body={"delta": -1, "note": "盘点破损"}
    ),
    "POST /console/shop/cycles": Case("shop.create_cycle", body=_shop_week_form),
    "POST /admin/v1/shop/cycles": Case("shop.create_cycle", body=_shop_week_json),
    "POST /console/shop/cycles/<cycle_id:int>/edit": Case(
        "shop.update_cycle",
        path=_shop_week,
        body={
            "title": "审计周（改）",
            "opens_at": "2039-01-03T08:00",
            "closes_at": "2039-01-05T08:00",
            "pickup_days": "2039-01-06",
            "pickup_place": "一号食堂",
        },
    ),
    "PUT /admin/v1/shop/cycles/<cycle_id:int>": Case(
        "shop.update_cycle",
        path=_shop_week,
        body={
            "title": "审计周（改）",
            "opens_at": "2039-02-03T08:00",
            "closes_at": "2039-02-05T08:00",
            "pickup_days": ["2039-02-06"],
            "pickup_place": "一号食堂",
        },
    ),
    "POST /console/shop/cycles/<cycle_id:int>/banner": Case(
        "shop.set_cycle_banner", path=_shop_week, files={"file": ("banner.jpg", jpeg(1200, 400), "image/jpeg")}
    ),
    "POST /admin/v1/shop/cycles/<cycle_id:int>/banner": Case(
        "shop.set_cycle_banner", path=_shop_week, files={"file": ("banner.jpg", jpeg(1200, 400), "image/jpeg")}
    ),
    "POST /console/shop/cycles/<cycle_id:int>/items": Case(
        "shop.add_cycle_item", path=_shop_week, body=lambda w: {"sku_id": _shop_sku_id()}
    ),
    "POST /admin/v1/shop/cycles/<cycle_id:int>/items": Case(
        "shop.add_cycle_item", path=_shop_week, body=lambda w: {"sku_id": _shop_sku_id()}
    ),
    "POST /console/shop/cycles/<cycle_id:int>/items/<item_id:int>/edit": Case(
        "shop.update_cycle_item", path=lambda w: _shop_week(w, with_item=True), body={"position": "2", "featured": "on"}
    ),
    "PUT /admin/v1/shop/cycles/<cycle_id:int>/items/<item_id:int>": Case(
        "shop.update_cycle_item", path=lambda w: _shop_week(w, with_item=True), body={"position": 2, "featured": True}
    ),
    "POST /console/shop/cycles/<cycle_id:int>/items/<item_id:int>/delete": Case(
        "shop.remove_cycle_item", path=lambda w: _shop_week(w, with_item=True)
    ),
    "DELETE /admin/v1/shop/cycles/<cycle_id:int>/items/<item_id:int>": Case(
        "shop.remove_cycle_item", path=lambda w: _shop_week(w, with_item=True)
    ),
    "POST /console/shop/cycles/<cycle_id:int>/clone": Case("shop.clone_cycle", path=_shop_week),
    "POST /admin/v1/shop/cycles/<cycle_id:int>/clone": Case("shop.clone_cycle", path=_shop_week),
    # ---- shop: pickup -----------------------------------------------------------------------
    "POST /console/shop/pickup/confirm": Case(
        "shop.hand_over_order", body=lambda w: hand_over_form_for_audit(w.person())
    ),
    "POST /console/shop/pickup/ready": Case("shop.mark_ready", body=lambda w: arrival_form_for_audit(w.person())),
    # shop: refunds
    "POST /console/shop/refunds/<refund_no:str>/approve": Case(
        "shop.approve_refund", path=lambda w: w.shop_refund_request(), body={"note": "同意"}
    ),
    "POST /console/shop/refunds/<refund_no:str>/reject": Case(
        "shop.reject_refund", path=lambda w: w.shop_refund_request(), body={"note": "不予退款"}
    ),
    "POST /console/shop/refunds/staff": Case("shop.refund_line", body=lambda w: _shop_staff_refund(w)),
    # ---- H4 assets: 公物仓 and disposals ----
    "POST /console/assets/warehouse/move-in": Case(
        "assets.warehouse_in", body=lambda w: assets_audit.asset_to_move_in(w.code("W"))
    ),
    "POST /console/assets/warehouse/requests/<request_id:int>/return": Case(
        "assets.return_loan",
        path=lambda w: assets_audit.loan_out(w.code("L"), w.runtime.storage),
        body={"condition": "good"},
    ),
    "POST /console/assets/disposals/<disposal_id:int>/record": Case(
        "assets.record_disposal",
        path=lambda w: assets_audit.disposal_approved(w.code("D")),
        body={"document_no": "审计〔2026〕1号"},
    ),
    # ---- fix fb: 出仓 ----
    "POST /console/assets/warehouse/items/<entry_id:int>/out": Case(
        "assets.warehouse_out",
        path=lambda w: assets_audit.item_in_warehouse(w.code("O"), w.runtime.storage),
        body={"note": "无法修复"},
    ),
    # ---- H1 cards ----
    "POST /console/assets/cards/new": Case("assets.register_asset", body=lambda w: _asset_form(w)),
    "POST /admin/v1/assets/cards": Case("assets.register_asset", body=lambda w: _asset_body(w)),
    "POST /console/assets/cards/<asset_id:int>/edit": Case(
        "assets.update_asset",
        path=lambda w: {"asset_id": _asset_id(w)},
        body=lambda w: _asset_form(w, "idle"),
    ),
    "PUT /admin/v1/assets/cards/<asset_id:int>": Case(
        "assets.update_asset",
        path=lambda w: {"asset_id": _asset_id(w)},
        body=lambda w: _asset_body(w, "idle"),
    ),
    # The file names class Z99, made if missing while the body is resolved, and the demo's 市财政局.
    "POST /console/assets/imports": Case(
        "assets.import_assets", body=lambda w: {"mode": "apply", "class": _asset_class("Z99")}, files=ASSET_FILE
    ),
    "POST /admin/v1/assets/imports": Case(
        "assets.import_assets", body=lambda w: {"class": _asset_class("Z99")}, files=ASSET_FILE
    ),
    "POST /console/assets/setup/categories": Case(
        "assets.create_category", body=lambda w: {"code": w.code("Y9"), "name": "审计分类", "useful_life_months": "60"}
    ),
    "POST /admin/v1/assets/categories": Case(
        "assets.create_category", body=lambda w: {"code": w.code("Y9"), "name": "审计分类", "useful_life_months": 60}
    ),
    "PUT /admin/v1/assets/categories/<category_id:int>": Case(
        "assets.update_category",
        path=lambda w: {"category_id": _asset_class_id(w)},
        body={"name": "审计改名", "useful_life_months": 96, "is_active": True},
    ),
    "POST /console/assets/setup/officers": Case(
        "assets.assign_officer", body=lambda w: {"employee_no": _employee_no(w), "unit_code": "CZJ"}
    ),
    "POST /admin/v1/assets/officers": Case(
        "assets.assign_officer", body=lambda w: {"employee_no": _employee_no(w), "unit_code": "CZJ"}
    ),
    "POST /console/assets/setup/officers/<officer_id:int>/stop": Case(
        "assets.deactivate_officer", path=lambda w: {"officer_id": _officer_id(w)}
    ),
    "POST /admin/v1/assets/officers/<officer_id:int>/stop": Case(
        "assets.deactivate_officer", path=lambda w: {"officer_id": _officer_id(w)}
    ),
    # ---- assets: stock-taking and a new 公物仓 ----
    "POST /console/assets/stocktakes": Case(
        "assets.open_stocktake", body=lambda w: assets_audit.stocktake_form(w.code("S"))
    ),
    "POST /console/assets/stocktakes/<stocktake_id:int>/close": Case(
        "assets.close_stocktake", path=lambda w: assets_audit.stocktake_open(w.code("S"))
    ),
    "POST /console/assets/stocktakes/<stocktake_id:int>/findings/<finding_id:int>/resolve": Case(
        "assets.resolve_stocktake_finding",
        path=lambda w: assets_audit.stocktake_finding(w.code("S")),
        body={"resolution": "found", "note": "审计核实在位"},
    ),
    "POST /console/assets/warehouse/warehouses": Case(
        "assets.create_warehouse",
        body=lambda w: {"name": w.code("审计新仓"), "place_id": assets_audit.room_id(w.code("W"))},
    ),
    # ---- assets: the office-space register (一房一档), with the places it files ----
    "POST /console/assets/space/places": Case("places.create_place", body=lambda w: {"name": w.code("审计新楼")}),
    "POST /console/assets/space/rooms/<place_id:int>/facts": Case(
        "places.set_room_facts",
        path=lambda w: assets_audit.room(w.code("R")),
        body=lambda w: {"use_area": "18.00", "building_area": "23.40", "use": "office", "unit_id": w.unit()},
    ),
    "POST /console/assets/space/rooms/<place_id:int>/occupants": Case(
        "places.add_occupant",
        path=lambda w: assets_audit.room(w.code("R")),
        body=lambda w: {"employee_no": _employee_no(w), "grade": "below_bureau", "since": "2024-01-01"},
    ),
    "POST /console/assets/space/rooms/<place_id:int>/occupants/<person_id:int>/remove": Case(
        "places.remove_occupant", path=lambda w: assets_audit.occupied_room(w.code("R"), w.person())
    ),
    "POST /console/assets/space/places/<place_id:int>/documents": Case(
        "assets.add_space_document",
        path=lambda w: assets_audit.room(w.code("R")),
        body={"kind": "floor_plan", "title": "审计平面图"},
        files={"file": ("plan.pdf", b"%PDF-1.4\n% audit floor plan\n")},
    ),
    "POST /console/assets/space/places/<place_id:int>/inspections": Case(
        "assets.add_inspection",
        path=lambda w: assets_audit.room(w.code("R")),
        body={"inspected_on": "2024-06-01", "inspector": "审计检查员", "result": "passed", "findings": ""},
    ),
    "POST /console/assets/space/buildings/<building_id:int>/file": Case(
        "assets.set_building_file",
        path=lambda w: {"building_id": assets_audit.building_id(w.code("B"))},
        body={"tenure": "owned", "title_no": "审计产权证001", "built_year": "2001", "address": "审计路 1 号"},
    ),
    "POST /console/assets/space/standard": Case(
        "assets.set_area_standard", body={"grade": "below_bureau", "per_person": "12.00"}
    ),
    "POST /console/assets/space/import": Case(
        "assets.import_space", files={"file": ("办公用房.xlsx", assets_audit.space_register("SP"))}
    ),
    # ---- charging: fresh sites, piles and fleet cards made for each case, incidents resolved --------
    "POST /console/charging/sites": Case(
        "charging.create_site", body=lambda w: {"name": w.code("审计车棚"), "power_limit_kw": "30"}
    ),
    "POST /admin/v1/charging/sites": Case(
        "charging.create_site", body=lambda w: {"name": w.code("审计车棚"), "power_limit_kw": 30}
    ),
    "PUT /admin/v1/charging/sites/<site_id:int>": Case(
        "charging.update_site",
        path=lambda w: _charging_site(w),
        body=lambda w: {"name": w.code("审计车棚"), "power_limit_kw": 10},
    ),
    "POST /console/charging/piles": Case(
        "charging.create_pile",
        body=lambda w: _charging_pile_body(w, str),
    ),
    "POST /admin/v1/charging/piles": Case("charging.create_pile", body=lambda w: _charging_pile_body(w, int)),
    "POST /console/charging/piles/<pile_id:int>/password": Case(
        "charging.reset_pile_password", path=lambda w: _charging_pile(w)
    ),
    "POST /admin/v1/charging/piles/<pile_id:int>/password": Case(
        "charging.reset_pile_password", path=lambda w: _charging_pile(w)
    ),
    "POST /console/charging/piles/<pile_id:int>/active": Case(
        "charging.set_pile_active", path=lambda w: _charging_pile(w), body={"active": "0"}
    ),
    "PUT /admin/v1/charging/piles/<pile_id:int>/active": Case(
        "charging.set_pile_active", path=lambda w: _charging_pile(w), body={"is_active": False}
    ),
    "POST /console/charging/commands": Case(
        "charging.send_command",
        body=lambda w: _charging_command_form(w),
    ),
    "POST /admin/v1/charging/piles/<pile_id:int>/commands": Case(
        "charging.send_command",
        path=lambda w: _charging_pile(w),
        body={"action": "reset", "hard": False},
    ),
    "POST /console/charging/tags": Case("charging.register_fleet_card", body=lambda w: _charging_card_body(w)),
    "POST /admin/v1/charging/tags": Case("charging.register_fleet_card", body=lambda w: _charging_card_body(w)),
    "POST /console/charging/tags/<tag_id:int>/block": Case(
        "charging.block_tag", path=lambda w: _charging_tag(w), body={"blocked": "1", "reason": "审计测试"}
    ),
    "PUT /admin/v1/charging/tags/<tag_id:int>/blocked": Case(
        "charging.block_tag", path=lambda w: _charging_tag(w), body={"blocked": True, "reason": "审计测试"}
    ),
    "POST /console/charging/tariffs": Case("charging.create_tariff", body=lambda w: _charging_tariff_form(w)),
    "POST /admin/v1/charging/tariffs": Case("charging.create_tariff", body=lambda w: _charging_tariff_body(w)),
    "POST /console/charging/incidents/<incident_id:int>/resolve": Case(
        "charging.resolve_incident",
        path=lambda w: {"incident_id": _charging_incident(w)},
        body={"note": "审计测试：已核对电表"},
    ),
    # ---- R2-C ----
    "POST /console/charging/sessions/<session_id:int>/close": Case(
        "charging.close_session", path=lambda w: {"session_id": _charging_stuck_session(w)}, body={"reason": "审计测试"}
    ),
    "POST /admin/v1/charging/sessions/<session_id:int>/close": Case(
        "charging.close_session", path=lambda w: {"session_id": _charging_stuck_session(w)}, body={"reason": "审计测试"}
    ),
    # ---- a ----
    "POST /console/access/gates": Case("access.create_gate", body=lambda w: _access_gate_form(w)),
    "POST /console/access/gates/<gate_id:int>": Case(
        "access.update_gate", path=lambda w: _access_gate(w), body=lambda w: _access_gate_form(w)
    ),
    "POST /console/access/gates/<gate_id:int>/active": Case(
        "access.update_gate", path=lambda w: _access_gate(w), body={"active": "0"}
    ),
    "POST /console/access/gates/<gate_id:int>/camera-secret": Case(
        "access.rotate_camera_secret", path=lambda w: _access_gate(w, "vehicle")
    ),
    "POST /console/access/blacklist": Case(
        "access.block", body=lambda w: {"kind": "phone", "value": _access_phone(w), "reason": "审计测试"}
    ),
    "POST /console/access/blacklist/<block_id:int>/lift": Case("access.lift_block", path=lambda w: _access_block(w)),
    "POST /console/access/vehicles/<vehicle_id:int>/decide": Case(
        "access.decide_vehicle",
        path=lambda w: _access_vehicle(w),
        body={"approve": "1", "from": "07:00", "to": "19:00"},
    ),
    "POST /console/access/vehicles/<vehicle_id:int>/revoke": Case(
        "access.revoke_vehicle", path=lambda w: _access_vehicle(w), body={"note": "审计测试"}
    ),
    "POST /console/access/vehicles/quotas": Case("access.set_quota", body=lambda w: _access_quota_form(w)),
    "POST /console/access/screening": Case(
        "access.set_screening", body={"enabled": "on", "q0": "是否发热？", "a0": "否", "r0": "来访事由"}
    ),
    # ---- g ----
    "POST /console/access/guard/walk-ins": Case(
        "access.register_walk_in", body=lambda w: access_g.audit_walk_in_form(w)
    ),
    "POST /console/access/guard/visits/<visit_id:int>/confirm": Case(
        "access.confirm_by_phone", path=lambda w: {"visit_id": access_g.audit_visit(w)}
    ),
    "POST /console/access/guard/visits/<visit_id:int>/print": Case(
        "access.print_slip",
        path=lambda w: {"visit_id": access_g.audit_visit(w, confirmed=True)},
        body=lambda w: {"gate_id": access_g.audit_printer_gate(w)},
    ),
    "POST /console/access/guard/plate-alerts/<alert_id:int>/open": Case(
        "access.open_barrier", path=lambda w: {"alert_id": access_g.audit_plate_alert(w)}
    ),
    "POST /console/access/guard/plate-alerts/<alert_id:int>/dismiss": Case(
        "access.dismiss_plate_alert", path=lambda w: {"alert_id": access_g.audit_plate_alert(w)}
    ),
    "POST /console/access/visits/<visit_id:int>/unmask": Case(
        "access.unmask_visitor", path=lambda w: {"visit_id": access_g.audit_visit(w)}
    ),
    "POST /console/access/visits/<visit_id:int>/revoke": Case(
        "access.revoke_visit", path=lambda w: {"visit_id": access_g.audit_visit(w)}, body={"reason": "审计测试"}
    ),
    # ---- energy: meters and models, readings, budgets of the demo, alerts, contacts, quotas and plan --
    "POST /console/energy/models": Case(
        "energy.create_meter_model",
        body=lambda w: {"name": w.code("审计电表型号"), "protocol": "dlt645", "can_switch": "on"},
    ),
    "POST /console/energy/meters": Case("energy.create_meter", body=energy.meter_form),
    "POST /console/energy/meters/<meter_id:int>": Case(
        "energy.update_meter", path=energy.meter, body=lambda w: energy.meter_form(w, "审计水表（改）")
    ),
    "POST /console/energy/meters/<meter_id:int>/active": Case(
        "energy.set_meter_active", path=energy.meter, body={"active": "0"}
    ),
    "POST /console/energy/meters/<meter_id:int>/readings": Case(
        "energy.record_reading", path=energy.meter, body=lambda w: energy.reading_form()
    ),
    "POST /console/energy/meters/<meter_id:int>/events": Case(
        "energy.record_event", path=energy.meter, body=lambda w: energy.event_form()
    ),
    "POST /console/energy/readings/<reading_id:int>/review": Case(
        "energy.review_reading", path=energy.held_reading, body={"decision": "reject", "note": "通信干扰"}
    ),
    "POST /console/energy/readings/import": Case(
        "energy.import_readings", body=energy.import_form, files=energy.READINGS_FILE
    ),
    "POST /console/energy/budgets/<budget_id:int>/adjust": Case(
        "energy.adjust_budget",
        path=lambda w: energy.demo_budget(MeterKind.WATER),
        body={"delta": "1.5", "reason": "审计测试：临时增加人员"},
    ),
    "POST /console/energy/budgets/<budget_id:int>/extend": Case(
        "energy.extend_budget",
        path=lambda w: energy.demo_budget(MeterKind.ELECTRICITY),
        body=lambda w: energy.extend_form(),
    ),
    "POST /console/energy/budgets/<budget_id:int>/restore": Case(
        "energy.restore_supply", path=energy.used_up_budget, body={"reason": "审计测试：保障会议用电"}
    ),
    "POST /console/energy/alerts/<alert_id:int>/acknowledge": Case("energy.acknowledge_alert", path=energy.alert),
    "POST /console/energy/contacts": Case("energy.add_contact", body=energy.contact_form),
    "POST /console/energy/contacts/<contact_id:int>/remove": Case("energy.remove_contact", path=energy.contact),
    "POST /console/energy/quotas": Case("energy.set_quota", body=lambda w: energy.next_month_quota()),
    "POST /console/energy/baseline": Case(
        "energy.set_baseline",
        body={"year": "2019", "area": "286.00", "headcount": "3", "electricity": "16200", "water": "98"},
    ),
    "POST /console/energy/targets": Case(
        "energy.set_target",
        body={"indicator": "energy_per_m2", "baseline_year": "2020", "target_year": "2030", "reduction": "12"},
    ),
}


async def _shop_staff_refund(w: World) -> dict:
    """A staff refund of a fresh paid line, as its form posts it."""
    paid = await w.shop_paid_line()
    return {
        **paid,
        "line_id": str(paid["line_id"]),
        "quantity": "1",
        "reason": "审计测试退款",
        "idempotency_key": w.form_key(),
    }


def _write_routes(app) -> set[str]:
    return {
        f"{method} {route.uri}"
        for route in app.router.routes
        for method in set(route.methods) & WRITE_METHODS
        if route.uri.startswith(AUDITED_PREFIXES)
    }


async def _resolved(value: Any) -> Any:
    """The value with every awaitable in it awaited, in order."""
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, dict):
        return {k: await _resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [await _resolved(v) for v in value]
    return value


async def _made(part: Any, world: World) -> Any:
    return await _resolved(part(world) if callable(part) else part)


async def _latest_entry_id() -> int:
    latest = await AuditEntry.all().order_by("-id").first()
    return latest.id if latest else 0


def _why(response: httpx.Response) -> str:
    """A refusal as a person reads it: the alerts of a console page, or the API's error."""
    if "html" not in response.headers.get("content-type", ""):
        return response.text[:300]
    alerts = ALERT.findall(response.text)
    return "; ".join(alerts) if alerts else re.sub(r"\s+", " ", TAG.sub(" ", response.text))[-300:]


async def _walk(world: World, route: str, case: Case) -> str | None:
    """Call the route as its case says; what is wrong, or None when the write was audited."""
    method, uri = route.split(" ", 1)
    try:
        path, body = await _made(case.path, world), await _made(case.body, world)
        url = ROUTE_PARAMETER.sub(lambda m: str(path[m.group(1)]), uri)
        if case.query:
            url += "?" + urlencode(case.query)
    except Exception as exc:  # reported with its route, and the other cases still run
        return f"{route}: the case could not make its request: {exc!r}; fix the case"
    since = await _latest_entry_id()
    if uri.startswith("/console/"):
        response = await world.client.request(
            method, url, data={"csrf_token": world.csrf, **body}, files=case.files or None
        )
    else:
        headers = {**bearer(world.token), "Idempotency-Key": secrets.token_hex(8)}
        sent = {"data": body, "files": case.files} if case.files else {"json": body}
        response = await world.client.request(method, url, headers=headers, **sent)
    outcome = f"{response.status_code} {response.headers.get('location', '')}".strip()
    if not 200 <= response.status_code < 400:
        return f"{route}: the case's request was refused ({outcome}): {_why(response)}; fix the case"
    entries = await AuditEntry.filter(id__gt=since).values_list("action", "actor_id", "request_id")
    if (case.action, world.admin_id, response.headers["x-request-id"]) not in entries:
        missing = f"an audit entry {case.action!r} by its admin in this request"
        return f"{route}: succeeded ({outcome}) without {missing}; found (action, admin, request) {entries}"
    return None


async def test_every_write_route_has_a_case(app):
    routes = _write_routes(app)
    missing = sorted(routes - CASES.keys() - EXCLUDED.keys())
    assert not missing, (
        "write routes with no audit case: add one line each to CASES in tests/backend/test_audit_coverage.py "
        f"(its docstring says how): {missing}"
    )
    stale = sorted((CASES.keys() | EXCLUDED.keys()) - routes)
    assert not stale, f"cases for routes that no longer exist (renamed?): {stale}"
    assert not CASES.keys() & EXCLUDED.keys()


def test_every_expected_action_has_a_label():
    labels = Platform.of(modules(), registry()).audit_labels
    assert sorted({c.action for c in CASES.values()} - labels.keys()) == []


@pytest.mark.usefixtures("approval_kind")
async def test_every_admin_write_leaves_an_audit_entry_by_its_admin(client, runtime):
    """One walk over every case on the demo data: the problems of all routes are reported together."""
    # given the demo data and a super admin signed in to both the console and the admin API
    await seed(runtime, if_empty=False)
    root = await create_superadmin("root", "超级管理员", PASSWORD)
    world = World(client, runtime, root["id"], await login(client, "root"), await console_login(client, "root"))
    await world.prepare()
    # when every write route is called as its case says
    problems = [problem for route, case in CASES.items() if (problem := await _walk(world, route, case))]
    # then each left its audit entry, and every action the log holds has its Chinese name
    assert not problems, "\n".join(problems)
    labels = Platform.of(modules(), registry()).audit_labels
    recorded = set(await AuditEntry.all().distinct().values_list("action", flat=True))
    assert sorted(recorded - labels.keys()) == []
    # and every field the entries keep has the Chinese name the audit log shows it by
    words = vocabulary(modules())
    unnamed = {
        (entry.action, key)
        for entry in await AuditEntry.all()
        for key in _keys(entry.before) | _keys(entry.after)
        if not key.endswith(LABEL_SUFFIX) and words[entry.action.partition(".")[0]].field(key) == key
    }
    assert not unnamed, f"declare these fields in their module's audit_fields: {sorted(unnamed)}"


def _keys(value: Any) -> set[str]:
    """Every key of a recorded before/after, nested ones too."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def _quota_source(world: World) -> int:
    """A new unit holding 100 yuan of this year's car quota, to transfer from."""
    unit_id = await world.unit()
    await quotas.allocate(CLI_ACTOR, unit_id, today().year, 100_00, "审计测试核定", now())
    return unit_id


async def _owed_supplier(world: World) -> int:
    """A new supplier owed 100 yuan, to settle with."""
    return await owed_supplier(world.code("审计供货方"), await world.person())


# ---- H1 cards: fresh asset classes, cards and officers for the assets cases ----


async def _asset_class(code: str) -> str:
    """The class `code`, made if missing (a top class of 5 years)."""
    if not any(c["code"] == code for c in await asset_categories.tree()):
        await asset_categories.create_category(CLI_ACTOR, code, "审计资产", None, 60)
    return code


async def _asset_class_id(w: World) -> int:
    return (await asset_categories.create_category(CLI_ACTOR, w.code("X9"), "审计分类", None, 60))["id"]


async def _asset_body(w: World, status: str = "in_use") -> dict:
    """A card's JSON body in a fresh class and unit."""
    return {
        "status": status,
        "name": "审计电脑",
        "category_id": await _asset_class_id(w),
        "unit_id": await w.unit(),
        "original_value_fen": 500000,
        "purchase_date": "2024-01-01",
    }


async def _asset_form(w: World, status: str = "in_use") -> dict:
    body = await _asset_body(w, status)
    return {**{k: str(v) for k, v in body.items()}, "original_value_fen": "5000.00"}


async def _asset_id(w: World) -> int:
    body = await _asset_body(w)
    return (
        await asset_cards.register(
            CLI_ACTOR, Scope.EVERYTHING, asset_cards.CardDetails(**{**body, "purchase_date": date(2024, 1, 1)})
        )
    )["id"]


async def _employee_no(w: World) -> str:
    person_id = await w.person()
    return (await people.people_summaries([person_id]))[0].employee_no


async def _officer_id(w: World) -> int:
    return (await asset_officers.assign(CLI_ACTOR, await _employee_no(w), "CZJ"))["id"]


# ---- H3 charging console: fresh sites, piles, fleet cards and tariffs ----


async def _charging_site_id(w: World) -> int:
    return (await charging_piles.create_site(CLI_ACTOR, w.code("审计车棚"), "", None, None, 22))["id"]


async def _charging_site(w: World) -> dict:
    return {"site_id": await _charging_site_id(w)}


async def _charging_pile_body(w: World, kind: type) -> dict:
    body = {"site_id": await _charging_site_id(w), "box_id": w.code("AUD-CP-"), "name": "审计桩", "connectors": 2}
    return {k: kind(v) if isinstance(v, int) else v for k, v in body.items()}


async def _charging_pile_id(w: World) -> int:
    site_id = await _charging_site_id(w)
    return (await charging_piles.create_pile(CLI_ACTOR, site_id, w.code("AUD-CP-"), "审计桩", 2, 7))[0]["id"]


async def _charging_pile(w: World) -> dict:
    return {"pile_id": await _charging_pile_id(w)}


async def _charging_command_form(w: World) -> dict:
    return {"pile_id": str(await _charging_pile_id(w)), "action": "unlock_connector", "connector_id": "1"}


async def _charging_car(w: World) -> str:
    """A new-energy official car in use, with a plate nobody has."""
    plate = f"浙AF9{next(w._numbers):04d}"
    await Vehicle.create(plate=plate, vehicle_type=VehicleType.SEDAN, seats=5, new_energy=True)
    return plate


async def _charging_card_body(w: World) -> dict:
    return {"id_tag": w.code("AUDFLEET"), "plate": await _charging_car(w)}


async def _charging_tag(w: World) -> dict:
    card = await charging_piles.register_fleet_card(CLI_ACTOR, w.code("AUDFLEET"), await _charging_car(w))
    return {"tag_id": card["id"]}


CHARGING_SEASON = {
    "name": "全年",
    "months": list(range(1, 13)),
    "prices": {"peak": 110, "valley": 30},
    "periods": [{"from": "00:00", "to": "08:00", "band": "valley"}, {"from": "08:00", "to": "24:00", "band": "peak"}],
}


def _charging_tariff_body(w: World) -> dict:
    starts = (now() + timedelta(days=1)).isoformat()
    return {
        "name": w.code("审计电价"),
        "effective_from": starts,
        "service_fee_fen_per_kwh": 40,
        "seasons": [CHARGING_SEASON],
    }


def _charging_tariff_form(w: World) -> dict:
    starts = (now() + timedelta(days=1)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    return {
        "name": w.code("审计电价"),
        "effective_from": starts,
        "service_fee": "0.40",
        "s0_name": "全年",
        "s0_months": [str(m) for m in range(1, 13)],
        "s0_peak": "1.10",
        "s0_valley": "0.30",
        "s0_p0_from": "00:00",
        "s0_p0_to": "08:00",
        "s0_p0_band": "valley",
        "s0_p1_from": "08:00",
        "s0_p1_to": "24:00",
        "s0_p1_band": "peak",
    }


# ---- H5 ----


async def _charging_stuck_session(world: World) -> int:
    """An ACTIVE session of nobody on a new pile whose stop never came, to 结束并结算."""
    site = await Site.create(name=world.code("审计车棚"))
    pile = await Pile.create(site=site, box_id=world.code("AUD-CP-"), name="审计测试桩", password_hash="x")
    started = now() - timedelta(hours=8)
    session = await ChargingSession.create(
        pile=pile,
        connector_id=1,
        id_tag=world.code("AUDTAG"),
        payer_kind=PayerKind.NOBODY,
        tariff=await Tariff.filter().order_by("-effective_from").first(),
        meter_start_wh=0,
        meter_last_wh=1000,
        started_at=started,
        received_at=started,
    )
    return session.id


async def _charging_incident(world: World) -> int:
    """An open incident (a stop with an invalid meter reading) of a new pile, to resolve."""
    site = await Site.create(name=world.code("审计车棚"))
    pile = await Pile.create(site=site, box_id=world.code("AUD-CP-"), name="审计测试桩", password_hash="x")
    return (await incident(pile, now())).id


# ---- a ----


async def _access_building(w: World) -> int:
    return (await places.create_place(CLI_ACTOR, w.code("审计门禁楼"), None))["id"]


async def _access_gate_form(w: World) -> dict:
    return {
        "code": w.code("AUD-G-"),
        "name": "审计门禁点",
        "kind": "pedestrian",
        "direction": "in",
        "building_id": str(await _access_building(w)),
    }


async def _access_gate(w: World, kind: str = "pedestrian") -> dict:
    view, _ = await access_gates.create_gate(
        CLI_ACTOR,
        w.runtime.cipher,
        code=w.code("AUD-G-"),
        name="审计门禁点",
        kind=kind,
        direction="in",
        building_id=await _access_building(w),
    )
    return {"gate_id": view["id"]}


def _access_phone(w: World) -> str:
    return f"139{next(w._numbers):08d}"


async def _access_block(w: World) -> dict:
    block = await access_blacklist.add(CLI_ACTOR, w.runtime.cipher, BlockKind.PHONE, _access_phone(w), "审计测试")
    return {"block_id": block["id"]}


async def _access_vehicle(w: World) -> dict:
    person_id = await w.person()
    unit_id = (await people.people_summaries([person_id]))[0].unit_id
    car = await StaffVehicle.create(
        plate=f"浙A{next(w._numbers):05d}", person_id=person_id, unit_id=unit_id, state=StaffVehicleState.PENDING
    )
    return {"vehicle_id": car.id}


async def _access_quota_form(w: World) -> dict:
    return {"unit_id": str(await w.unit()), "monthly_entries": "30"}
