"""The demo data `make run` writes on its first start: a living system, reconciled, written
once."""

from datetime import timedelta

from backend.access.models import Presence, Visit, VisitState
from backend.canteen.models import CanteenPayment, DishRating, MealBooking, PaymentStatus
from backend.core.timeutil import now, today
from backend.demo import seed
from backend.reconcile import check
from backend.repairs.demo import REPORTS
from backend.repairs.models import PhotoKind, RepairPhoto, RepairReport, ReportState
from backend.wallet.service.statement import statement


async def test_demo_shows_a_lived_week_that_reconciles_and_is_written_once(runtime):
    # given an empty platform; when the demo is seeded
    seeded = await seed(runtime, if_empty=True)

    # then repairs are in every state a report can be in, with their photos
    states = set(await RepairReport.all().values_list("state", flat=True))
    assert states == set(ReportState)
    assert await RepairPhoto.filter(kind=PhotoKind.REPORT).count() == await RepairReport.all().count()
    assert await RepairPhoto.filter(kind=PhotoKind.AFTER).exists()
    assert await RepairReport.filter(rating__not_isnull=True).exists()
    # a week of meals paid across meal periods, booked, and rated
    paid = CanteenPayment.filter(status=PaymentStatus.PAID)
    days = set(await paid.values_list("business_date", flat=True))
    assert len(days) >= 5 and min(days) <= today() - timedelta(days=5)
    assert {"breakfast", "lunch", "dinner"} <= set(await paid.values_list("period_code", flat=True))
    assert len(set(await paid.values_list("person_id", flat=True))) >= 4
    assert await MealBooking.filter(meal_date__lt=today()).count() > 10
    assert await MealBooking.filter(meal_date__gt=today()).exists()
    assert await DishRating.all().count() > 0
    # and the books reconcile on every day of it
    for back in range(8):
        assert await check(today() - timedelta(days=back)) == []
    # and every demo wallet's statement reads in order: funded before it was spent, never below zero
    for person_id in set(await paid.values_list("person_id", flat=True)):
        lines = (await statement(person_id, today() - timedelta(days=14), today()))["lines"]
        assert lines and all(min(line["cash_after_fen"], line["subsidy_after_fen"]) >= 0 for line in lines)
    # visits in every state a guard or a host sees on a first look, one visitor inside now
    shown = set(await Visit.all().values_list("state", flat=True))
    assert shown == set(VisitState) - {VisitState.NO_SHOW, VisitState.NOT_SIGNED_OUT}
    assert await Presence.filter(visit__state=VisitState.INSIDE).count() == 1
    # the one-time secrets are handed back, not mixed into what is printed as it goes
    labels = [label for label, _ in seeded.secrets]
    assert labels[:2] == ["管理员账号", "管理员密码"] and any("T-0001" in label for label in labels)
    assert any("GT-0001" in label for label in labels)
    assert not any(value in line for _, value in seeded.secrets[1:] for line in seeded.lines)

    # when seeded again, nothing more is written and no secret is shown
    again = await seed(runtime, if_empty=True)
    assert again.skipped and again.secrets == []
    assert await RepairReport.all().count() == len(REPORTS)


async def test_demo_terminal_takes_a_tap_at_any_hour(runtime):
    from backend.accounts.service import devices
    from backend.canteen.service import payments

    await seed(runtime, if_empty=True)
    terminal = await devices.device_by_code("T-0001")
    for hour in (3, 15, 23):
        request = payments.PayRequest(txn_no=f"ANY-{hour}", card_uid="04A1B2C3D4")
        answer = await payments.pay(runtime.redis, terminal["id"], request, at=now().replace(hour=hour))
        assert answer.http_status == 200 and answer.body["period"] == "演示时段（全天）"


async def test_demo_carport_piles_take_the_passwords_shown_once_for_make_piles(runtime):
    from backend.charging.models import Pile, Tag, TagKind, Tariff
    from backend.charging.service import passwords

    seeded = await seed(runtime, if_empty=True)

    [line] = [value for label, value in seeded.secrets if "make piles" in label]
    pairs = dict(pair.split("=", 1) for pair in line.split())
    piles = {p.box_id: p for p in await Pile.all()}
    assert set(pairs) == set(piles) == {"CP-0001", "CP-0002", "CP-0003", "CP-0004"}
    assert all(passwords.matches(pairs[box], piles[box].password_hash) for box in pairs)
    assert await Tariff.all().count() == 1
    assert await Tag.filter(kind=TagKind.FLEET, vehicle__plate="浙AF10010").exists()
