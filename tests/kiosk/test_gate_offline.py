"""The gate terminal against the real backend process, which is then stopped: every refusal decided
offline from the last sync with the backend's reason and words, a pass revoked before the sync
refused, an allowed pass journalled and uploaded once the backend is back, also after the agent
was killed with SIGKILL and restarted while the backend was still down."""

import contextlib
import time

from backend.access.errors import AccessError
from backend.access.models import AccessEvent, EventSource, PassKind, VisitPass
from backend.core.timeutil import now
from tests.fixtures.access_kiosk import GateProcess, gate_synced, issue_pass, tampered
from tests.fixtures.kiosk import BackendProcess


@contextlib.asynccontextmanager
async def synced_gate_and_backend(world, settings, data_dir):
    """The backend process and the entry gate's agent process (killed at the end if still running)."""
    backend = BackendProcess(settings)
    await backend.start()
    terminal = world.entry_terminal
    gate = GateProcess(backend.url, terminal.code, terminal.secret, data_dir)
    gate.start()
    try:
        yield gate, backend
    finally:
        gate.kill_if_running()
        await backend.stop_if_running()


async def start_and_upload(gate: GateProcess, backend: BackendProcess) -> None:
    """Start the backend again, wait for the gate's journal to be uploaded, stop the gate."""
    await backend.start()
    await gate.status_where(lambda s: s["online"] and s["offline_queue"] == 0, "the journal uploaded")
    assert gate.stop() == 0


def refused_with(result: dict, error: AccessError) -> bool:
    return (result["allowed"], result["reason"], result["message"], result["offline"]) == (
        False,
        error.code,
        error.message,
        True,
    )


async def test_each_bad_pass_is_refused_offline_with_the_backends_reason(access_world, settings, tmp_path):
    key = settings.data_key
    expired = await issue_pass(access_world, starts_in=-7200, ends_in=-3600)
    early = await issue_pass(access_world, starts_in=3600, ends_in=7200)
    revoked = await issue_pass(access_world)
    used_up = await issue_pass(access_world, max_entries=1, used=1)
    elsewhere = await issue_pass(access_world, gate_ids=(access_world.exit.id,))
    mobile = await issue_pass(access_world, kind=PassKind.MOBILE)
    good = await issue_pass(access_world)
    async with synced_gate_and_backend(access_world, settings, tmp_path) as (gate, backend):
        first = await gate.status_where(gate_synced, "the gate synced")
        await VisitPass.filter(id=revoked.pass_id).update(revoked_at=now())
        await gate.status_where(lambda s: s["sync_version"] != first["sync_version"], "the revocation synced")
        await backend.stop()

        cases = [
            (expired.token(key), AccessError.PASS_EXPIRED),
            (early.token(key), AccessError.PASS_NOT_YET_VALID),
            (revoked.token(key), AccessError.PASS_REVOKED),
            (used_up.token(key), AccessError.PASS_USED_UP),
            (elsewhere.token(key), AccessError.PASS_WRONG_GATE),
            (tampered(good.token(key)), AccessError.PASS_TAMPERED),
            ("https://weixin.qq.com/r/abcdef", AccessError.PASS_FOREIGN),
            (mobile.token(key, step=int(time.time()) // 60 - 5), AccessError.PASS_STALE),
        ]
        for token, error in cases:
            result = await gate.scan(token)
            assert refused_with(result, error), (error, result)
        allowed = await gate.scan(good.token(key))
        assert (allowed["allowed"], allowed["offline"], allowed["greeting"]) == (
            True,
            True,
            {"name": "李*", "host": "张*", "people": 1},
        )
        assert list(gate.journal().values()) == [None] * (len(cases) + 1)
        await start_and_upload(gate, backend)
    assert set(gate.journal().values()) == {"recorded"}
    events = await AccessEvent.filter(source=EventSource.OFFLINE).order_by("id")
    assert [(e.allowed, e.reason) for e in events] == [(False, error.code) for _, error in cases] + [(True, "")]
    assert (await VisitPass.get(id=good.pass_id)).entries_used == 1


async def test_a_single_entry_pass_let_in_offline_is_used_up_after_a_kill_and_booked_once(
    access_world, settings, tmp_path
):
    """The agent is killed right after letting a slip in offline; restarted with the backend still
    down it still checks (the sync was remembered) and refuses the same slip from its own journal."""
    slip = await issue_pass(access_world, max_entries=1)
    token = slip.token(settings.data_key)
    async with synced_gate_and_backend(access_world, settings, tmp_path) as (gate, backend):
        await gate.status_where(gate_synced, "the gate synced")
        await backend.stop()
        first = await gate.scan(token)
        assert (first["allowed"], first["offline"]) == (True, True)
        gate.kill()

        gate.start()
        await gate.status_where(lambda s: s["online"] is False and s["synced"], "the restarted gate offline")
        again = await gate.scan(token)
        assert refused_with(again, AccessError.PASS_USED_UP)
        await start_and_upload(gate, backend)
    assert list(gate.journal().values()) == ["recorded", "recorded"]
    assert (await VisitPass.get(id=slip.pass_id)).entries_used == 1
    assert await AccessEvent.filter(allowed=True).count() == 1


async def test_a_staff_card_passes_offline_from_the_synced_cards_and_an_unknown_one_does_not(
    access_world, settings, tmp_path
):
    async with synced_gate_and_backend(access_world, settings, tmp_path) as (gate, backend):
        await gate.status_where(gate_synced, "the gate synced")
        online = await gate.tap(access_world.host_card)
        assert (online["allowed"], online["offline"], online["greeting"]["name"]) == (True, False, "张*")
        await backend.stop()
        offline = await gate.tap(access_world.host_card)
        assert (offline["allowed"], offline["offline"]) == (True, True)
        stranger = await gate.tap("04FFFF01")
        assert refused_with(stranger, AccessError.CARD_UNKNOWN)
        await start_and_upload(gate, backend)
    events = await AccessEvent.all().order_by("id").values_list("source", "allowed", "person_id")
    assert events == [
        (EventSource.ONLINE, True, access_world.host_id),
        (EventSource.OFFLINE, True, access_world.host_id),
        (EventSource.OFFLINE, False, None),
    ]
