"""Every process the harness starts, each in a process group of its own, so that a fault can
kill exactly one piece (kill -9 of its group) and the end of the run, however it comes
(exception, Ctrl-C, SIGTERM), stops them all."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


class Supervisor:
    def __init__(self, logs: Path):
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}
        atexit.register(self.stop_all)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        # Ctrl-C stops the run even when it was started in the background, which ignores SIGINT.
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        # Turned into SystemExit so that every `finally` (the temporary directory's removal
        # included) runs, as it does for Ctrl-C's KeyboardInterrupt.
        raise SystemExit(128 + signum)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None, user: str | None = None) -> int:
        """Start `argv` as `name` in a new session (its own process group); output to logs/<name>.log."""
        self.stop(name)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (the child owns it from here)
        process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
        log.close()
        self.running[name] = process
        return process.pid

    def pid(self, name: str) -> int:
        return self.running[name].pid

    def alive(self, name: str) -> bool:
        process = self.running.get(name)
        return process is not None and process.poll() is None

    def kill9(self, name: str, whole_group: bool = True) -> None:
        """kill -9 of the process (and, by default, everything it started)."""
        process = self.running[name]
        with contextlib.suppress(ProcessLookupError):
            if whole_group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def forget(self, name: str) -> None:
        """A process that stopped on its own (or through its own tool, such as pg_ctl)."""
        process = self.running.pop(name, None)
        if process is not None:
            process.wait()

    def stop(self, name: str, grace: float = 10.0) -> None:
        """SIGTERM to the group, SIGKILL to whatever is left after `grace` seconds."""
        process = self.running.pop(name, None)
        if process is None:
            return
        _stop_group(process, grace)

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            try:
                self.stop(name, grace=5.0)
            except Exception as problem:  # one piece refusing to die must not keep the others running
                print(f"faults: could not stop {name}: {problem!r}", file=sys.stderr)


def _stop_group(process: subprocess.Popen, grace: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # The group may outlive its leader (PostgreSQL's backends, taskiq's worker processes).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    while group_alive(process.pid) and time.monotonic() < deadline + 5:
        time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
