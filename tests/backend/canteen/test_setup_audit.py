"""Changes to a canteen's setup keep in the audit log what they replaced: the canteen a moved
terminal took payments for, the dishes of a menu published again."""

from backend.canteen.models import TerminalMode
from backend.canteen.service import canteens, menus
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import today


async def test_moving_a_terminal_to_another_canteen_keeps_where_it_was(canteen, terminal):
    await canteens.create_canteen(CLI_ACTOR, "ST2", "第二食堂", scope=Scope.EVERYTHING)
    await canteens.bind_terminal(
        CLI_ACTOR, "ST2", terminal.code, TerminalMode.MENU, "二食堂 1 号窗口", scope=Scope.EVERYTHING
    )
    placed, moved = await AuditEntry.filter(action="canteen.bind_terminal").order_by("id")
    assert placed.before is None and placed.after["canteen"] == canteen
    assert (moved.before["canteen"], moved.before["mode"], moved.before["name"]) == (canteen, "fixed_price", "T-1 号机")
    assert (moved.after["canteen"], moved.after["mode"], moved.after["name"]) == ("ST2", "menu", "二食堂 1 号窗口")
    assert moved.before["device"] == moved.after["device"] == terminal.code


async def test_publishing_a_menu_again_keeps_the_dishes_it_replaced(canteen):
    rice, fish = [
        await canteens.create_dish(CLI_ACTOR, canteen, name, 300, [], scope=Scope.EVERYTHING) for name in ("米饭", "鱼")
    ]
    for dishes in ([rice["id"]], [rice["id"], fish["id"]]):
        await menus.set_menu(CLI_ACTOR, canteen, today(), "lunch", dishes, scope=Scope.EVERYTHING)
    first, again = await AuditEntry.filter(action="canteen.set_menu").order_by("id")
    assert first.before is None and first.after["dish_ids"] == [rice["id"]]
    assert again.before["dish_ids"] == [rice["id"]] and again.after["dish_ids"] == [rice["id"], fish["id"]]
