"""The harness's run: bring the topology up, let the terminals pay, inject each fault, check, and
print one line per scenario and the summary; exit 1 when any check failed."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.faults.books import Books, check_books, prepare
from bench.faults.jobs import MONTHLY_SUBSIDY, kick, subsidy_state
from bench.faults.notices import SEND_DELAY, wechat_settings
from bench.faults.procs import Supervisor
from bench.faults.scenarios import JOB_LIMIT, RECOVERY_LIMIT, SCENARIOS, Found, Harness
from bench.faults.terminals import CuttableProxy, Fleet, Probe, Terminal
from bench.faults.topology import Topology, require_tools
from bench.repairs_photo import phone_photo
from tests.fakes.wechat import WeChatStandIn

TERMINALS = int(os.environ.get("FAULTS_TERMINALS", "20"))
WARM_UP_SECONDS = 5.0
MEDIA_SIZE = "24m"


@dataclass
class Outcome:
    number: str
    name: str
    found: Found
    books: Books
    replay_status: int
    paid: int

    @property
    def replay_accepted(self) -> bool:
        return 200 <= self.replay_status < 300

    @property
    def recovered(self) -> bool:
        return self.found.recovery_s is not None

    @property
    def passed(self) -> bool:
        return self.books.clean and not self.replay_accepted and self.recovered and not self.found.problems

    def line(self) -> str:
        recovery = f"{self.found.recovery_s:.1f}" if self.found.recovery_s is not None else f">{RECOVERY_LIMIT:.0f}"
        return (
            f"faults[{self.number}] {self.name}: {'ok' if self.passed else 'FAILED'} recovery_s={recovery} "
            f"paid={self.paid} lost={len(self.books.lost)} double={len(self.books.double)} "
            f"wrong_amount={len(self.books.wrong_amount)} replay={self.replay_status} "
            f"reconcile={'clean' if not self.books.reconcile else 'PROBLEMS'}"
        )

    def details(self) -> list[str]:
        lines = [f"  note: {n}" for n in self.found.notes] + [f"  problem: {p}" for p in self.found.problems]
        lines += [f"  lost: {x}" for x in self.books.lost[:5]] + [f"  double: {x}" for x in self.books.double[:5]]
        lines += [f"  wrong amount: {x}" for x in self.books.wrong_amount[:5]]
        if self.books.told_refused_but_charged:
            lines.append(f"  note: {self.books.told_refused_but_charged} charges the terminal showed as refused")
        if self.books.reconcile:
            lines.append(f"  reconcile: {self.books.reconcile}")
        if self.replay_accepted:
            lines.append(f"  problem: a request captured before the fault was accepted again ({self.replay_status})")
        if not self.recovered:
            lines.append(f"  problem: not recovered within {RECOVERY_LIMIT:.0f} s")
        return lines


async def jobs_still_run(h: Harness) -> str | None:
    """The worker takes a new job after the fault (the monthly subsidy again: it finds everyone
    granted and only records its run); restarted if it does not, so the next scenario starts whole."""
    _, _, finished = await subsidy_state(h.db_url)
    try:
        await kick(h.env, MONTHLY_SUBSIDY)
    except RuntimeError as problem:
        await asyncio.to_thread(h.topology.start_worker)
        return f"no job can be queued after the fault: {problem}"
    started = time.monotonic()
    while time.monotonic() - started < JOB_LIMIT / 2:
        if (await subsidy_state(h.db_url))[2] > finished:
            return None
        await asyncio.sleep(0.5)
    await asyncio.to_thread(h.topology.start_worker)
    return f"the worker took no new job within {JOB_LIMIT / 2:.0f} s after the fault (restarted)"


async def scenario(h: Harness, number: str, name: str, fault) -> Outcome:
    captured = await h.probe.capture()
    found = await fault(h) if fault else Found(0.0)
    replay_status = await h.probe.send(captured)
    async with h.fleet.paused():
        try:
            await h.fleet.settle(RECOVERY_LIMIT)
        except TimeoutError as unsettled:
            found.problems.append(str(unsettled))
        books = await check_books(h.db_url, h.env, h.fleet.terminals)
    if fault and (stalled := await jobs_still_run(h)):
        found.problems.append(stalled)
    paid = sum(len(t.paid) for t in h.fleet.terminals)
    outcome = Outcome(number, name, found, books, replay_status, paid)
    print(outcome.line(), flush=True)
    for line in outcome.details():
        print(line, flush=True)
    return outcome


def _mount_media(media: Path) -> str:
    """A small filesystem of fixed size for the media directory, so that it can be filled."""
    media.mkdir()
    if os.geteuid() != 0:
        return "plain directory (not root: scenario 6 is skipped)"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={MEDIA_SIZE},mode=0755", "tmpfs", str(media)], check=True)
    return f"tmpfs of {MEDIA_SIZE}"


def _unmount(media: Path) -> None:
    if os.path.ismount(media):
        subprocess.run(["umount", "-l", str(media)], check=False)


async def run(root: Path, procs: Supervisor, selected: list[str]) -> int:
    media = root / "media"
    how = _mount_media(media)
    wechat = WeChatStandIn().start()
    wechat.state.send_delay = SEND_DELAY
    topology = Topology(root, procs, media, wechat_settings(wechat))
    fleet: Fleet | None = None
    probe: Probe | None = None
    try:
        started = time.monotonic()
        await asyncio.to_thread(topology.start_infrastructure)
        env = topology.env()
        infrastructure = time.monotonic() - started
        world = await prepare(env, TERMINALS + 1)
        prepared = time.monotonic() - started
        await asyncio.to_thread(topology.start_services)
        print(
            f"faults: topology up in {time.monotonic() - started:.0f} s (infrastructure {infrastructure:.0f} s, "
            f"world {prepared - infrastructure:.0f} s; PostgreSQL :{topology.postgres.port}, "
            f"Redis :{topology.redis.nodes[0].port}/:{topology.redis.nodes[1].port} with 3 Sentinels, "
            f"nginx :{topology.nginx.port} -> {topology.backend_ports}; REDIS_URL={topology.redis.url}; "
            f"media: {how})",
            flush=True,
        )
        terminals = []
        (root / "journals").mkdir()
        tls = topology.nginx.tls
        if tls is None:
            raise RuntimeError("nginx started without its certificate")
        for code, secret in world.terminals[:TERMINALS]:
            proxy = CuttableProxy(topology.nginx.port)
            await proxy.start()
            terminals.append(Terminal(code, secret, root / "journals", proxy, world.cards, tls))
        probe_code, probe_secret = world.terminals[TERMINALS]
        probe = Probe(topology.nginx.url, probe_code, probe_secret, world.cards[0], tls)
        fleet = Fleet(terminals)
        await fleet.start()
        await asyncio.sleep(WARM_UP_SECONDS)
        h = Harness(
            topology, procs, fleet, probe, world, env, topology.postgres.url("houqin"), phone_photo(1280, 960), wechat
        )
        outcomes = [await scenario(h, "0", "no fault", None)]
        for number, name, fault in SCENARIOS:
            if number.rstrip("ab") not in selected:
                continue
            if number == "6" and os.geteuid() != 0:
                print("faults[6] skipped: mounting a filesystem of fixed size needs root", flush=True)
                continue
            outcomes.append(await scenario(h, number, name, fault))
        return summary(outcomes, time.monotonic() - started)
    finally:
        if fleet is not None:
            await fleet.stop()
        if probe is not None:
            await probe.close()
        await asyncio.to_thread(procs.stop_all)
        wechat.stop()
        _unmount(media)


def summary(outcomes: list[Outcome], elapsed: float) -> int:
    faults = [o for o in outcomes if o.number != "0"]
    recoveries = [o.found.recovery_s for o in faults if o.found.recovery_s is not None]
    unrecovered = any(o.found.recovery_s is None for o in faults)
    max_recovery = f"{max(recoveries, default=0):.1f}" + ("+" if unrecovered else "")
    failed = [o.number for o in outcomes if not o.passed]
    print(
        f"faults: scenarios={len(faults)} failed={len(failed)}{' (' + ','.join(failed) + ')' if failed else ''} "
        f"double_charges={sum(len(o.books.double) for o in outcomes)} "
        f"lost_payments={sum(len(o.books.lost) for o in outcomes)} "
        f"replays_accepted={sum(o.replay_accepted for o in outcomes)} max_recovery_s={max_recovery} "
        f"elapsed_s={elapsed:.0f}",
        flush=True,
    )
    return 1 if failed else 0


def main() -> int:
    require_tools()
    # The terminals' own log lines (offline, back online) would drown the scenario lines; their
    # effect is in the figures. Their errors (a refusal that is the terminal's fault) still show.
    logging.basicConfig(level=logging.ERROR, format="%(name)s: %(message)s")
    selected = [s.strip() for s in os.environ.get("FAULTS_SCENARIOS", "1,2,3,4,5,6").split(",") if s.strip()]
    root = Path(tempfile.mkdtemp(prefix="houqin-faults-"))
    # The cluster runs as the postgres user, which must reach its directory inside this one.
    root.chmod(0o755)
    (root / "logs").mkdir()
    procs = Supervisor(root / "logs")
    try:
        return asyncio.run(run(root, procs, selected))
    finally:
        procs.stop_all()
        _unmount(root / "media")
        if os.environ.get("FAULTS_KEEP") == "1":
            print(f"faults: kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
