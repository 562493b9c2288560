"""A pay code spent at one terminal cannot be spent again after Redis lost the mark that it was
spent (a restart from an older snapshot, a failover): the second payment is refused and the
diner charged once; a code of a step that began after the new epoch pays. The terminal pays
through the kiosk's client, which signs again at the stamp the new epoch takes."""

import pytest

from backend.accounts.models import Person
from backend.canteen.models import CanteenPayment
from backend.core import replay
from backend.wallet.models import Wallet
from backend.wallet.service import paycode
from kiosk.backend_client import BackendClient
from tests.fixtures.canteen import cardholder
from tests.helpers.errors import assert_error
from tests.helpers.replay import epoch_started_ms

SESSION = "session:cadre:test-session"


@pytest.fixture
async def kiosk(app, terminal):
    backend = BackendClient(app.ctx.base_url, terminal.code, terminal.secret)
    yield backend
    await backend.aclose()


async def issued_code(runtime) -> tuple[paycode.PayCodeKey, int]:
    person = await Person.get(employee_no="D0001")
    await cardholder("D0001", "04A1B2C3", cash=5000)
    await runtime.redis.set(SESSION, "{}")
    return await paycode.key_for_session(runtime.redis, SESSION, person.id, ttl=600), person.id


async def saved_keys(redis) -> dict[bytes, bytes]:
    """What a snapshot taken before the payment holds: the session and its pay-code key."""
    return {key: await redis.get(key) async for key in redis.scan_iter("*") if not key.startswith(b"paycode:used")}


async def test_spent_code_is_refused_after_redis_restarts_from_an_older_snapshot(kiosk, runtime):
    key, person_id = await issued_code(runtime)
    snapshot = await saved_keys(runtime.redis)
    code = paycode.code_for(key)
    assert (await kiosk.pay("TX1", pay_code=code)).status_code == 200
    await runtime.redis.flushdb()
    for name, value in snapshot.items():
        if name != replay.EPOCH_KEY.encode():  # a restarted server has another run_id
            await runtime.redis.set(name, value)
    assert_error(await kiosk.pay("TX2", pay_code=code), 402, "canteen.pay_code_before_epoch")
    assert await CanteenPayment.filter(status="paid").count() == 1
    assert (await Wallet.get(person_id=person_id)).cash_balance < 5000
    # The code of the step after the epoch began pays.
    started = await epoch_started_ms(runtime.redis)
    next_step = (started // 1000 // paycode.STEP_SECONDS + 1) * paycode.STEP_SECONDS
    later = paycode.code_for(key, at=next_step)
    assert await paycode.redeem(runtime.redis, later, "T-1:TX3", now=next_step) == person_id


async def test_spent_code_is_refused_after_a_failover_lost_its_mark(kiosk, runtime):
    """And the terminal's retry of the paid number still gets the payment it made."""
    key, _ = await issued_code(runtime)
    code = paycode.code_for(key)
    paid = await kiosk.pay("TX1", pay_code=code)
    assert paid.status_code == 200
    started = await epoch_started_ms(runtime.redis)
    await runtime.redis.delete(*[name async for name in runtime.redis.scan_iter("paycode:used:*")])
    await runtime.redis.set(replay.EPOCH_KEY, b"0" * 40 + b":" + str(started).encode())
    assert_error(await kiosk.pay("TX2", pay_code=code), 402, "canteen.pay_code_before_epoch")
    assert await CanteenPayment.filter(status="paid").count() == 1
    retried = await kiosk.pay("TX1", pay_code=code)
    assert retried.status_code == 200 and retried.json() == paid.json()
