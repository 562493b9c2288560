"""The faults, one at a time while the terminals pay. Each returns how long the service took to
answer again (None: not within the bound) and what it found wrong; the books, the replay and
whether jobs still run are checked after every one of them by the runner (bench.faults.run)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench.faults.books import LATE_UNIT, World, cadre_tokens, cover_late_unit
from bench.faults.jobs import MONTHLY_SUBSIDY, covered_people, kick, subsidy_state
from bench.faults.notices import (
    NOTICES,
    SEND_DUE,
    deliveries,
    file_report,
    notice_states,
    person_ids_of,
    queue_notices,
)
from bench.faults.procs import Supervisor
from bench.faults.terminals import Fleet, Probe
from bench.faults.topology import Topology, wait_until
from tests.fakes.wechat import WeChatStandIn

RECOVERY_LIMIT = float(os.environ.get("FAULTS_RECOVERY_LIMIT", "60"))
CUT_SECONDS = float(os.environ.get("FAULTS_CUT_SECONDS", "60"))
JOB_LIMIT = float(os.environ.get("FAULTS_JOB_LIMIT", "60"))
FULL_SECONDS = 8.0


@dataclass
class Harness:
    topology: Topology
    procs: Supervisor
    fleet: Fleet
    probe: Probe
    world: World
    env: dict[str, str]
    db_url: str
    photo: bytes
    wechat: WeChatStandIn


@dataclass
class Found:
    recovery_s: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def _blocking(function, *args):
    """Topology actions block (they wait for a piece to come up): off the terminals' loop."""
    return await asyncio.to_thread(function, *args)


async def kill_backend(h: Harness) -> Found:
    started = time.monotonic()
    await _blocking(h.procs.kill9, "backend-0")
    found = Found(await h.probe.recovery(started, RECOVERY_LIMIT))
    await asyncio.sleep(3)  # the terminals pay through the one left
    await _blocking(h.topology.start_backend, 0)
    found.notes.append(f"backend-0 back after {time.monotonic() - started:.1f} s")
    return found


async def kill_worker_mid_subsidy(h: Harness) -> Found:
    found = Found()
    await cover_late_unit(h.env)
    covered = await covered_people(h.db_url)
    # Watched while it is being queued: the run of a few hundred people is over in a second or two.
    queued = asyncio.create_task(kick(h.env, MONTHLY_SUBSIDY))
    conn = await asyncpg.connect(h.db_url)
    try:
        granted = 0
        deadline = time.monotonic() + JOB_LIMIT
        while not granted and time.monotonic() < deadline:
            granted = await conn.fetchval(
                "SELECT count(*) FROM wallet_subsidy_grant g JOIN accounts_person p ON p.id = g.person_id "
                "JOIN accounts_unit u ON u.id = p.unit_id WHERE u.code = $1",
                LATE_UNIT,
            )
            await asyncio.sleep(0.01)
    finally:
        await conn.close()
    await queued
    if not granted:
        found.problems.append(f"the monthly subsidy job queued did not start within {JOB_LIMIT:.0f} s")
        return found
    await _blocking(h.procs.kill9, "worker")
    started = time.monotonic()
    granted, _, _ = await subsidy_state(h.db_url)
    found.notes.append(f"worker killed with {granted}/{covered} granted")
    if granted == covered:
        found.notes.append("the run had already finished: the kill did not land mid-run")
    await _blocking(h.topology.start_worker)
    while time.monotonic() - started < JOB_LIMIT:
        granted, _, _ = await subsidy_state(h.db_url)
        if granted == covered:
            found.recovery_s = time.monotonic() - started
            break
        await asyncio.sleep(0.5)
    else:
        found.problems.append(
            f"monthly subsidy killed mid-run stays unfinished: {granted}/{covered} granted {JOB_LIMIT:.0f} s "
            "after the worker restarted (the job is not redelivered)"
        )
        # What an operator would do: run it again; it must grant only the missing.
        await kick(h.env, MONTHLY_SUBSIDY)
        await wait_for(lambda: _all_granted(h.db_url, covered), JOB_LIMIT)
    granted, grants, _ = await subsidy_state(h.db_url)
    if granted != covered:
        found.problems.append(f"after a second run {granted}/{covered} granted")
    if grants != granted:
        found.problems.append(f"subsidy granted twice: {grants} grants for {granted} people")
    return found


async def kill_worker_mid_notices(h: Harness) -> Found:
    found = Found()
    tokens = await cadre_tokens(h.env, NOTICES + 1)
    async with httpx.AsyncClient(base_url=h.topology.nginx.url, timeout=30, verify=h.probe.tls) as http:
        report_id = await file_report(http, tokens[0], h.photo, h.world.repair_category, h.world.repair_room)
    # The first cadre filed the report; the others are told of it, each once.
    recipients = (await person_ids_of(h.db_url, NOTICES + 1))[1:]
    openids = {f"o-faults-{person_id}" for person_id in recipients}
    notice_ids = await queue_notices(h.env, recipients, report_id)
    queued = asyncio.create_task(kick(h.env, SEND_DUE))
    started = await wait_for(lambda: _delivered(h, openids, NOTICES // 3), JOB_LIMIT)
    await queued
    if started is None:
        found.problems.append(f"the notices queued were not being sent within {JOB_LIMIT:.0f} s")
        return found
    await _blocking(h.procs.kill9, "worker")
    killed = time.monotonic()
    at_kill = await notice_states(h.db_url, notice_ids)
    in_flight = {i for i, (_, claimed) in at_kill.items() if claimed}
    sent_at_kill = sum(1 for state, _ in at_kill.values() if state == "sent")
    found.notes.append(f"worker killed with {sent_at_kill}/{NOTICES} notices sent, {len(in_flight)} in flight")
    await _blocking(h.topology.start_worker)
    rest = [i for i in notice_ids if i not in in_flight]
    found.recovery_s = await wait_for(lambda: _all_sent(h.db_url, rest), JOB_LIMIT)
    if found.recovery_s is None:
        found.problems.append(f"notices not in flight at the kill still unsent {JOB_LIMIT:.0f} s after it")
    from backend.notices.service import CLAIM

    # A notice in flight waits for its claim to run out, then for the minute's run.
    claim_limit = CLAIM.total_seconds() + 60 + JOB_LIMIT
    if await wait_for(lambda: _all_sent(h.db_url, notice_ids), claim_limit) is None:
        found.problems.append(f"notices in flight at the kill still unsent {claim_limit:.0f} s after it")
    else:
        found.notes.append(f"every notice sent {time.monotonic() - killed:.1f} s after the kill")
    got = deliveries(h.wechat, openids)
    if missing := len(openids - set(got)):
        found.problems.append(f"{missing} notices marked sent never reached WeChat")
    twice = sorted(openid for openid, n in got.items() if n > 1)
    in_flight_openids = {f"o-faults-{p}" for p in await _recipients_of(h.db_url, in_flight)}
    if unexpected := [o for o in twice if o not in in_flight_openids]:
        found.problems.append(f"notices not in flight at the kill delivered twice: {unexpected[:5]}")
    if twice_in_flight := [o for o in twice if o in in_flight_openids]:
        found.notes.append(
            f"{len(twice_in_flight)} notice(s) taken by WeChat just before the kill sent again once their claim ran "
            "out (at least once: WeChat takes no idempotency key)"
        )
    return found


async def _delivered(h: Harness, openids: set[str], count: int) -> bool:
    return sum(deliveries(h.wechat, openids).values()) >= count


async def _all_sent(db_url: str, notice_ids: list[int]) -> bool:
    states = await notice_states(db_url, notice_ids)
    return all(state == "sent" for state, _ in states.values())


async def _recipients_of(db_url: str, notice_ids: set[int]) -> list[int]:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch("SELECT person_id FROM notices_notice WHERE id = ANY($1::int[])", list(notice_ids))
        return [r["person_id"] for r in rows]
    finally:
        await conn.close()


async def _all_granted(db_url: str, covered: int) -> bool:
    granted, _, _ = await subsidy_state(db_url)
    return granted == covered


async def wait_for(check, limit: float) -> float | None:
    """Seconds until `check()` (async) is true; None past `limit`."""
    started = time.monotonic()
    while time.monotonic() - started <= limit:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


async def restart_postgres(h: Harness) -> Found:
    started = time.monotonic()
    await _blocking(h.topology.postgres.restart_fast)
    return Found(await h.probe.recovery(started, RECOVERY_LIMIT))


async def kill_postmaster(h: Harness) -> Found:
    started = time.monotonic()
    await _blocking(h.topology.postgres.kill9_postmaster)
    return Found(await h.probe.recovery(started, RECOVERY_LIMIT))


async def kill_redis_master(h: Harness) -> Found:
    redis_set = h.topology.redis
    old = await _blocking(redis_set.master)
    started = time.monotonic()
    await _blocking(h.procs.kill9, old.name)
    found = Found()
    try:
        failover = await _blocking(wait_until, lambda: redis_set.master() is not old, 30, "Sentinel failover")
        found.notes.append(f"Sentinel promoted the replica in {failover:.1f} s")
    except RuntimeError as problem:
        found.problems.append(str(problem))
    found.recovery_s = await h.probe.recovery(started, RECOVERY_LIMIT)
    # Restarted (as systemd would), the old master rejoins as the new one's replica.
    await _blocking(redis_set.start_node, old)
    try:
        await _blocking(wait_until, lambda: redis_set.in_sync(old), 60, "the old master resyncing as a replica")
    except RuntimeError as problem:
        found.problems.append(str(problem))
    return found


async def lose_redis_data(h: Harness) -> Found:
    redis_set = h.topology.redis
    master = await _blocking(redis_set.master)
    started = time.monotonic()
    await _blocking(h.procs.kill9, master.name)
    await _blocking(redis_set.start_node, master)  # no persistence: it comes back empty
    found = Found(await h.probe.recovery(started, RECOVERY_LIMIT))
    replica = next(n for n in redis_set.nodes if n is not master)
    with contextlib.suppress(RuntimeError):
        await _blocking(wait_until, lambda: redis_set.in_sync(replica), 60, "the replica resyncing")
    return found


async def cut_terminal(h: Harness) -> Found:
    terminal = h.fleet.terminals[0]
    offline_before = sum(a.offline for a in terminal.paid.values())
    terminal.proxy.cut()
    await asyncio.sleep(CUT_SECONDS)
    terminal.proxy.restore()
    started = time.monotonic()
    found = Found()
    while time.monotonic() - started < RECOVERY_LIMIT:
        if terminal.link.online and not await terminal.pending():
            found.recovery_s = time.monotonic() - started
            break
        terminal.wake.set()
        await asyncio.sleep(0.2)
    taken = sum(a.offline for a in terminal.paid.values()) - offline_before
    found.notes.append(f"{terminal.code} took {taken} payments offline during the {CUT_SECONDS:.0f} s cut")
    if not taken:
        found.problems.append(f"{terminal.code} took no payment offline while cut off")
    return found


async def fill_media_disk(h: Harness) -> Found:
    found = Found()
    media = h.topology.media
    tokens = await cadre_tokens(h.env, 4)
    async with httpx.AsyncClient(base_url=h.topology.nginx.url, timeout=30, verify=h.probe.tls) as http:
        filler = media / "filler"
        filled = await _blocking(_fill, filler)
        found.notes.append(f"media filesystem filled with {filled // 1024} KiB")
        answers: Counter[str] = Counter()
        accepted: list[int] = []
        ends = time.monotonic() + FULL_SECONDS
        n = 0
        while time.monotonic() < ends:
            status, body = await _upload(http, tokens[n % len(tokens)], h.photo)
            n += 1
            code = (body.get("error") or {}).get("code", "") if isinstance(body, dict) else ""
            answers[f"{status}{' ' + code if code else ''}"] += 1
            if status == 201:
                accepted.append(body["id"])
        found.notes.append("uploads while full: " + ", ".join(f"{k} ×{v}" for k, v in sorted(answers.items())))
        unhandled = {k: v for k, v in answers.items() if k.startswith("5") and not k.startswith(("503", "507"))}
        if unhandled:
            found.problems.append(f"a full disk is answered as an internal error: {unhandled}")
        await _blocking(filler.unlink)
        started = time.monotonic()
        while time.monotonic() - started < RECOVERY_LIMIT:
            status, body = await _upload(http, tokens[0], h.photo)
            if status == 201:
                found.recovery_s = time.monotonic() - started
                accepted.append(body["id"])
                break
            await asyncio.sleep(0.2)
        if accepted:
            report = {
                "client_ref": f"faults-{accepted[-1]}",
                "category_id": h.world.repair_category,
                "location_id": h.world.repair_room,
                "description": "故障演练：磁盘满后报修",
                "photo_ids": [accepted[-1]],
            }
            response = await http.post("/mp/v1/repairs", json=report, headers={"Authorization": f"Bearer {tokens[0]}"})
            if response.status_code != 201:
                found.problems.append(f"a report with a photo after the disk was freed: {response.status_code}")
    found.problems += await _photos_whole(h.db_url, media, accepted)
    return found


def _fill(filler: Path) -> int:
    written = 0
    block = b"\0" * 65536
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(block)
                out.flush()
                written += len(block)
        except OSError:
            pass
    return written


async def _upload(http: httpx.AsyncClient, token: str, photo: bytes) -> tuple[int, dict]:
    try:
        response = await http.post(
            "/mp/v1/repairs/photos",
            files={"file": ("photo.jpg", photo, "image/jpeg")},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError:
        return 0, {}
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, {}


async def _photos_whole(db_url: str, media: Path, accepted: list[int]) -> list[str]:
    """Every photo the service accepted has its image and thumbnail, whole, and no half-written
    file is left behind."""
    problems = []
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch("SELECT id, image_key, thumbnail_key FROM repairs_photo WHERE id = ANY($1)", accepted)
    finally:
        await conn.close()
    if len(rows) != len(accepted):
        problems.append(f"{len(accepted) - len(rows)} photos answered as stored are not in the database")
    for row in rows:
        for key in (row["image_key"], row["thumbnail_key"]):
            path = media / key
            if not path.exists() or path.stat().st_size == 0:
                problems.append(f"photo {row['id']}: {key} missing or empty")
    leftovers = [p for p in media.rglob(".*") if p.is_file()]
    if leftovers:
        problems.append(f"{len(leftovers)} temporary files left in the media directory, e.g. {leftovers[0].name}")
    return problems


SCENARIOS = [
    ("1", "kill -9 one backend", kill_backend),
    ("2a", "kill -9 the worker mid subsidy run", kill_worker_mid_subsidy),
    ("2b", "kill -9 the worker while sending notices", kill_worker_mid_notices),
    ("3a", "PostgreSQL fast restart", restart_postgres),
    ("3b", "kill -9 the postmaster", kill_postmaster),
    ("4a", "kill -9 the Redis master", kill_redis_master),
    ("4b", "Redis restarted with its data lost", lose_redis_data),
    ("5", "a terminal's network cut", cut_terminal),
    ("6", "media disk full during photo uploads", fill_media_disk),
]
