"""Dishes and menus from the console: a dish created with its price typed in yuan, changed, taken
off sale and given a photo through the photo pipeline; a day's menu set from the canteen's dishes,
seen in the week, copied from the day before; refusals at their fields; and a manager of one
canteen neither sees nor changes another's dishes and menus."""

from datetime import timedelta

from backend.canteen.models import DailyMenu, Dish
from backend.canteen.service import canteens, menus
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import today
from tests.helpers import console_admin, jpeg

MANAGER = ["canteen.view_payment", "canteen.manage_canteen"]


async def make_dish(name: str, price_fen: int, canteen: str = "ST1") -> int:
    return (await canteens.create_dish(CLI_ACTOR, canteen, name, price_fen, [], scope=Scope.EVERYTHING))["id"]


async def test_a_manager_creates_a_dish_priced_in_yuan_and_gives_it_a_photo(client, canteen):
    csrf = await console_admin(client, "manager", MANAGER)
    created = await client.post(
        "/console/canteen/dishes?canteen=ST1",
        data={"csrf_token": csrf, "name": "红烧肉", "price_fen": "12.5", "tags": "荤菜，招牌 荤菜"},
    )
    dish = await Dish.get(name="红烧肉")
    assert created.headers["location"] == f"/console/canteen/dishes/{dish.id}?done=created"
    assert (dish.price_fen, dish.tags, dish.is_active) == (1250, ["荤菜", "招牌"], True)
    uploaded = await client.post(
        f"/console/canteen/dishes/{dish.id}/photo",
        data={"csrf_token": csrf},
        files={"file": ("dish.jpg", jpeg(1200, 900), "image/jpeg")},
    )
    assert uploaded.headers["location"].endswith("?done=photo")
    thumb = await client.get(f"/console/canteen/dishes/{dish.id}/photo?size=thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    listing = await client.get("/console/canteen/dishes?canteen=ST1")
    assert f'src="/console/canteen/dishes/{dish.id}/photo?size=thumb"' in listing.text and "12.50" in listing.text
    actions = set(await AuditEntry.filter(object_type="dish").values_list("action", flat=True))
    assert actions == {"canteen.create_dish", "canteen.set_dish_photo"}


async def test_a_bad_price_a_long_tag_or_a_file_that_is_no_photo_is_refused_at_its_field(client, canteen):
    csrf = await console_admin(client, "manager", MANAGER)
    bad_price = await client.post(
        "/console/canteen/dishes?canteen=ST1", data={"csrf_token": csrf, "name": "鱼香肉丝", "price_fen": "12.345"}
    )
    assert bad_price.status_code == 422 and "最多两位小数" in bad_price.text and 'value="鱼香肉丝"' in bad_price.text
    long_tag = await client.post(
        "/console/canteen/dishes?canteen=ST1",
        data={"csrf_token": csrf, "name": "鱼香肉丝", "price_fen": "12", "tags": "这是一个特别特别长的标签"},
    )
    assert long_tag.status_code == 422 and "每个标签最多 10 个字" in long_tag.text
    no_name = await client.post(
        "/console/canteen/dishes?canteen=ST1", data={"csrf_token": csrf, "name": "", "price_fen": "12"}
    )
    assert no_name.status_code == 422 and "必填" in no_name.text
    assert not await Dish.exists(name="鱼香肉丝")
    dish_id = await make_dish("清炒时蔬", 600)
    not_a_photo = await client.post(
        f"/console/canteen/dishes/{dish_id}/photo",
        data={"csrf_token": csrf},
        files={"file": ("menu.jpg", b"%PDF-1.4 not an image", "image/jpeg")},
    )
    assert not_a_photo.status_code == 422 and "上传的文件不是图片" in not_a_photo.text
    assert (await Dish.get(id=dish_id)).photo_key is None


async def test_changing_a_dish_and_taking_it_off_sale_is_audited(client, canteen):
    dish_id = await make_dish("清炒时蔬", 600)
    csrf = await console_admin(client, "manager", MANAGER)
    form = await client.get(f"/console/canteen/dishes/{dish_id}")
    assert 'name="price_fen" value="6.00"' in form.text
    saved = await client.post(
        f"/console/canteen/dishes/{dish_id}",
        data={"csrf_token": csrf, "name": "蒜蓉时蔬", "price_fen": "7", "tags": "素菜"},
    )
    assert saved.headers["location"].endswith("?done=updated")
    dish = await Dish.get(id=dish_id)
    assert (dish.name, dish.price_fen, dish.tags, dish.is_active) == ("蒜蓉时蔬", 700, ["素菜"], False)
    [entry] = await AuditEntry.filter(action="canteen.update_dish")
    assert entry.before["is_active"] is True and entry.after["is_active"] is False and entry.after["price_fen"] == 700


async def test_a_menu_is_set_from_the_dishes_on_sale_and_shown_in_its_week(client, canteen):
    rice, fish, gone = await make_dish("米饭", 100), await make_dish("清蒸鱼", 1800), await make_dish("旧菜", 500)
    await menus.update_dish(CLI_ACTOR, gone, "旧菜", 500, [], False, scope=Scope.EVERYTHING)
    csrf = await console_admin(client, "manager", MANAGER)
    day = today()
    editing = await client.get(f"/console/canteen/menus?canteen=ST1&day={day}&period=lunch")
    assert f'value="{fish}"' in editing.text and f'value="{gone}"' not in editing.text
    saved = await client.post(
        f"/console/canteen/menus?canteen=ST1&week={day}",
        data={"csrf_token": csrf, "date": day.isoformat(), "period": "lunch", "dish_ids": [str(rice), str(fish)]},
    )
    assert saved.status_code == 302 and "done=menu_saved" in saved.headers["location"]
    menu = await DailyMenu.get(canteen__code="ST1", menu_date=day, period_code="lunch")
    assert menu.dish_ids == [rice, fish]
    week = await client.get(saved.headers["location"])
    assert "清蒸鱼" in week.text and "菜单已发布" in week.text
    assert await AuditEntry.filter(action="canteen.set_menu").count() == 1
    copied = await client.get(
        f"/console/canteen/menus?canteen=ST1&week={day}&day={day + timedelta(days=1)}&period=lunch&copy=yesterday"
    )
    assert f'value="{fish}" checked' in copied.text and f"已按 {day.isoformat()} 的菜单勾选" in copied.text


async def test_a_menu_without_dishes_or_with_a_dish_off_sale_is_refused_at_the_dishes(client, canteen):
    gone = await make_dish("旧菜", 500)
    await menus.update_dish(CLI_ACTOR, gone, "旧菜", 500, [], False, scope=Scope.EVERYTHING)
    await make_dish("米饭", 100)
    csrf = await console_admin(client, "manager", MANAGER)
    day = today().isoformat()
    empty = await client.post(
        "/console/canteen/menus?canteen=ST1", data={"csrf_token": csrf, "date": day, "period": "lunch"}
    )
    assert empty.status_code == 422 and "请至少选择一道菜" in empty.text
    off_sale = await client.post(
        "/console/canteen/menus?canteen=ST1",
        data={"csrf_token": csrf, "date": day, "period": "lunch", "dish_ids": [str(gone)]},
    )
    assert off_sale.status_code == 422 and "菜品不存在或已下架" in off_sale.text
    no_period = await client.post(
        "/console/canteen/menus?canteen=ST1",
        data={"csrf_token": csrf, "date": day, "period": "dinner", "dish_ids": [str(gone)]},
    )
    assert no_period.status_code == 422 and "该食堂没有这个餐次" in no_period.text
    assert await DailyMenu.all().count() == 0


async def test_a_viewer_sees_dishes_and_menus_without_their_forms(client, canteen):
    dish_id = await make_dish("米饭", 100)
    csrf = await console_admin(client, "viewer", ["canteen.view_payment"])
    listing = await client.get("/console/canteen/dishes")
    assert listing.status_code == 200 and "米饭" in listing.text and "新建菜品" not in listing.text
    refused = await client.post(
        f"/console/canteen/dishes/{dish_id}", data={"csrf_token": csrf, "name": "改", "price_fen": "1"}
    )
    assert refused.status_code == 403 and (await Dish.get(id=dish_id)).name == "米饭"


async def test_a_manager_of_one_canteen_neither_sees_nor_changes_anothers_dishes_and_menus(client, two_canteens):
    own, other = await make_dish("一食堂米饭", 100, "ST1"), await make_dish("二食堂面条", 800, "ST2")
    csrf = await console_admin(client, "st1_manager", MANAGER, canteen_code="ST1")
    listing = await client.get("/console/canteen/dishes?canteen=ST2")
    assert "一食堂米饭" in listing.text and "二食堂面条" not in listing.text and "第二食堂" not in listing.text
    assert (await client.get(f"/console/canteen/dishes/{other}")).status_code == 403
    assert (await client.get(f"/console/canteen/dishes/{other}/photo?size=thumb")).status_code == 403
    edit = await client.post(
        f"/console/canteen/dishes/{other}", data={"csrf_token": csrf, "name": "抢来的", "price_fen": "1"}
    )
    assert edit.status_code == 403
    photo = await client.post(
        f"/console/canteen/dishes/{other}/photo",
        data={"csrf_token": csrf},
        files={"file": ("x.jpg", jpeg(), "image/jpeg")},
    )
    assert photo.status_code == 403
    create = await client.post(
        "/console/canteen/dishes?canteen=ST2", data={"csrf_token": csrf, "name": "塞进去的", "price_fen": "1"}
    )
    assert create.status_code == 403
    menu = await client.post(
        "/console/canteen/menus?canteen=ST2",
        data={"csrf_token": csrf, "date": today().isoformat(), "period": "lunch", "dish_ids": [str(other)]},
    )
    assert menu.status_code == 403
    week = await client.get("/console/canteen/menus?canteen=ST2")
    assert "第一食堂" in week.text and "第二食堂" not in week.text
    other_dish = await Dish.get(id=other)
    assert (other_dish.name, other_dish.photo_key) == ("二食堂面条", None)
    assert not await Dish.exists(name="塞进去的") and await DailyMenu.all().count() == 0
    assert (await client.get(f"/console/canteen/dishes/{own}")).status_code == 200
