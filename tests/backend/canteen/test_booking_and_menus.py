"""Meal booking until the cutoff, trips that cancel bookings, kitchen counts and no-shows;
menus, and ratings only by those who ate that meal."""

import io
from datetime import datetime, time, timedelta

import pytest
from PIL import Image

from backend.accounts.models import Person
from backend.canteen.models import CanteenPayment, DinerCategory, Dish
from backend.canteen.service import booking, canteens, menus
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, now
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import admin_token, bearer, jpeg
from tests.helpers.cadres import bound_token

MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
async def with_lunch_at_noon(canteen):
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(11, 30),
        time(13, 0),
        1,
        {DinerCategory.STAFF: (1500, 1000)},
        booking_cutoff_hours=2,
        scope=Scope.EVERYTHING,
    )
    return "ST1"


async def person_id(employee_no="D0001") -> int:
    return (await Person.get(employee_no=employee_no)).id


async def test_booking_is_open_until_the_cutoff(with_lunch_at_noon):
    me = await person_id()
    today = MONDAY_9AM.date()
    made = await booking.book(me, "ST1", today, "lunch", MONDAY_9AM)  # cutoff 09:30
    assert made["status"] == "booked"
    late = MONDAY_9AM.replace(minute=31)
    with pytest.raises(Exception) as refused:
        await booking.cancel(me, today, "lunch", late)
    assert refused.value.code == "canteen.booking_closed"
    assert refused.value.message == "已过报餐截止时间（开餐前 2 小时）"


async def test_trip_cancels_bookings_and_blocks_new_ones(with_lunch_at_noon):
    me = await person_id()
    for offset in range(3):
        await booking.book(me, "ST1", MONDAY_9AM.date() + timedelta(days=offset + 1), "lunch", MONDAY_9AM)
    trip = await booking.report_trip(
        me, MONDAY_9AM.date() + timedelta(days=1), MONDAY_9AM.date() + timedelta(days=2), "省里开会", MONDAY_9AM
    )
    assert trip["cancelled_bookings"] == 2
    with pytest.raises(Exception) as refused:
        await booking.book(me, "ST1", MONDAY_9AM.date() + timedelta(days=2), "lunch", MONDAY_9AM)
    assert refused.value.code == "canteen.booking_on_trip"
    kept = await booking.my_bookings(me, MONDAY_9AM.date(), MONDAY_9AM.date() + timedelta(days=5))
    assert [b["status"] for b in kept] == ["cancelled", "cancelled", "booked"]


async def test_kitchen_counts_and_no_show_rate(client, with_lunch_at_noon, runtime):
    from tests.fixtures.canteen import make_terminal

    day = now().astimezone(BUSINESS_TZ).date()
    yesterday_9am = datetime.combine(day - timedelta(days=1), time(9), tzinfo=BUSINESS_TZ)
    for employee_no in ("D0001", "D0002", "D0005"):
        await booking.book(await person_id(employee_no), "ST1", day, "lunch", yesterday_9am)
    counts = await booking.kitchen_counts("ST1", day, scope=Scope.EVERYTHING)
    assert counts == [{"period": "lunch", "name": "午餐", "starts_at": "11:30", "booked": 3}]
    # D0001 eats (the lunch window is widened so that the test can pay whatever the hour)
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        1,
        {DinerCategory.STAFF: (1500, 1000)},
        scope=Scope.EVERYTHING,
    )
    terminal = await make_terminal(runtime.cipher, "T-B")
    await cardholder("D0001", "04A1B2C3", cash=5000)
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 200
    rate = await booking.no_show_rate("ST1", day, day, scope=Scope.EVERYTHING)
    assert (rate["booked"], rate["no_shows"], rate["no_show_rate"]) == (3, 2, 0.6667)
    assert rate["periods"] == [
        {"period": "lunch", "name": "午餐", "booked": 3, "eaten": 1, "no_shows": 2, "no_show_rate": 0.6667}
    ]


async def test_only_a_diner_of_that_meal_can_rate_its_dishes(client, canteen, terminal, runtime, wechat):
    rice = await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    fish = await canteens.create_dish(CLI_ACTOR, "ST1", "清蒸鱼", 1800, ["海鲜"], scope=Scope.EVERYTHING)
    other = await canteens.create_dish(CLI_ACTOR, "ST1", "饺子", 900, [], scope=Scope.EVERYTHING)
    today = now().astimezone(BUSINESS_TZ).date()
    await menus.set_menu(CLI_ACTOR, "ST1", today, "lunch", [rice["id"], fish["id"]], scope=Scope.EVERYTHING)
    token = await bound_token(client, wechat)
    await cardholder("D0001", "04A1B2C3", cash=5000)
    await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    meals = (await client.get("/mp/v1/canteen/meals", headers=bearer(token))).json()["items"]
    payment_id = meals[0]["payment_id"]
    assert meals[0]["dish_ids"] == [rice["id"], fish["id"]]
    rated = await client.post(
        "/mp/v1/canteen/ratings",
        headers=bearer(token),
        json={"payment_id": payment_id, "dish_id": fish["id"], "score": 5, "comment": "鲜"},
    )
    assert rated.status_code == 201
    twice = await client.post(
        "/mp/v1/canteen/ratings",
        headers=bearer(token),
        json={"payment_id": payment_id, "dish_id": fish["id"], "score": 1},
    )
    assert twice.status_code == 409
    off_menu = await client.post(
        "/mp/v1/canteen/ratings",
        headers=bearer(token),
        json={"payment_id": payment_id, "dish_id": other["id"], "score": 3},
    )
    assert off_menu.json()["error"]["code"] == "canteen.rating_dish_not_on_menu"
    await cardholder("D0002", "04A1B2C4", cash=5000)
    await pay(client, terminal, "TX2", card_uid="04A1B2C4")
    someone_elses = (await CanteenPayment.get(terminal_txn_no="TX2")).id
    refused = await client.post(
        "/mp/v1/canteen/ratings",
        headers=bearer(token),
        json={"payment_id": someone_elses, "dish_id": rice["id"], "score": 2},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "canteen.rating_not_allowed"
    summary = await menus.dish_ratings(fish["id"], scope=Scope.EVERYTHING)
    assert (summary["count"], summary["average"]) == (1, 5.0)


async def test_booking_through_the_mini_program(client, with_lunch_at_noon, runtime, wechat):
    token = await bound_token(client, wechat)
    tomorrow = (now().astimezone(BUSINESS_TZ) + timedelta(days=1)).date()
    made = await client.post(
        "/mp/v1/canteen/bookings",
        headers=bearer(token),
        json={"canteen": "ST1", "date": tomorrow.isoformat(), "period": "lunch"},
    )
    assert made.status_code == 200 and made.json()["status"] == "booked"
    listed = await client.get(
        "/mp/v1/canteen/bookings",
        headers=bearer(token),
        params={"from": tomorrow.isoformat(), "to": tomorrow.isoformat()},
    )
    assert listed.json()["items"] == [
        {"canteen": "ST1", "date": tomorrow.isoformat(), "period": "lunch", "status": "booked"}
    ]
    far = await client.post(
        "/mp/v1/canteen/bookings",
        headers=bearer(token),
        json={"canteen": "ST1", "date": (tomorrow + timedelta(days=60)).isoformat(), "period": "lunch"},
    )
    assert far.json()["error"]["code"] == "canteen.booking_too_far"
    bad = await client.post(
        "/mp/v1/canteen/bookings",
        headers=bearer(token),
        json={"canteen": "ST1", "date": "2026-02-30", "period": "lunch"},
    )
    assert bad.status_code == 422


async def test_absurd_dates_and_ids_are_refused_not_crashed_on(client, with_lunch_at_noon, wechat):
    token = await bound_token(client, wechat)
    far = await client.get("/mp/v1/canteen/bookings", headers=bearer(token), params={"from": "9999-12-30"})
    assert far.status_code == 422
    ancient = await client.post(
        "/mp/v1/canteen/bookings",
        headers=bearer(token),
        json={"canteen": "ST1", "date": "0001-01-01", "period": "lunch"},
    )
    assert ancient.status_code == 409 and ancient.json()["error"]["code"] == "canteen.booking_closed"
    huge_card = await client.post("/mp/v1/wallet/cards/99999999999/lost", headers=bearer(token))
    assert huge_card.status_code == 404
    huge_rating = await client.post(
        "/mp/v1/canteen/ratings", headers=bearer(token), json={"payment_id": 2**40, "dish_id": 1, "score": 3}
    )
    assert huge_rating.status_code == 422


async def test_trip_keeps_meals_already_past_their_cutoff(with_lunch_at_noon):
    me = await person_id()
    today = MONDAY_9AM.date()
    await booking.book(me, "ST1", today, "lunch", MONDAY_9AM)
    await booking.book(me, "ST1", today + timedelta(days=1), "lunch", MONDAY_9AM)
    trip = await booking.report_trip(me, today, today + timedelta(days=1), "临时出差", MONDAY_9AM.replace(hour=10))
    assert trip["cancelled_bookings"] == 1  # today's lunch is already being cooked


async def test_a_dish_photo_is_made_safe_shown_on_the_menu_and_replaced(client, canteen, runtime, wechat):
    fish = await canteens.create_dish(CLI_ACTOR, "ST1", "清蒸鱼", 1800, ["海鲜"], scope=Scope.EVERYTHING)
    manager = await admin_token(client, "manager", ["canteen.manage_canteen"])
    not_a_photo = await client.post(
        f"/admin/v1/canteen/dishes/{fish['id']}/photo",
        headers=bearer(manager),
        files={"file": ("fish.jpg", b"%PDF-1.7 not a photo", "image/jpeg")},
    )
    assert not_a_photo.status_code == 415 and not_a_photo.json()["error"]["code"] == "image.not_image"
    first = await client.post(
        f"/admin/v1/canteen/dishes/{fish['id']}/photo",
        headers=bearer(manager),
        files={"file": ("fish.jpg", jpeg(1600, 1200), "image/jpeg")},
    )
    assert first.json()["has_photo"] is True
    old_key = (await Dish.get(id=fish["id"])).photo_key
    await client.post(
        f"/admin/v1/canteen/dishes/{fish['id']}/photo",
        headers=bearer(manager),
        files={"file": ("fish2.jpg", jpeg(800, 600), "image/jpeg")},
    )
    assert not await runtime.storage.exists(old_key)
    await menus.set_menu(
        CLI_ACTOR, "ST1", now().astimezone(BUSINESS_TZ).date(), "lunch", [fish["id"]], scope=Scope.EVERYTHING
    )
    token = await bound_token(client, wechat)
    menu = (await client.get("/mp/v1/canteen/menus?canteen=ST1", headers=bearer(token))).json()
    assert menu["menus"][0]["dishes"][0]["has_photo"] is True
    thumb = await client.get(f"/mp/v1/canteen/dishes/{fish['id']}/photo?size=thumb", headers=bearer(token))
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) == 320
    viewer = await admin_token(client, "viewer", ["canteen.view_payment"])
    refused = await client.post(
        f"/admin/v1/canteen/dishes/{fish['id']}/photo",
        headers=bearer(viewer),
        files={"file": ("fish.jpg", jpeg(), "image/jpeg")},
    )
    assert refused.status_code == 403
