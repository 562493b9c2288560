"""A throwaway Redis master, one replica and one or three Sentinels on free ports of 127.0.0.1,
for the Sentinel tests and the fault harness.

Everything lives in a directory of its own, without persistence (a node started again comes back
empty), and never touches the machine's own Redis. Sentinels declare a master down after half a
second, so a failover takes a few seconds. `stop` (or leaving the `with` block, even on an
error) kills every process started here.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from bench.common import free_port

MASTER_NAME = "mymaster"


def redis_server() -> str | None:
    """The redis-server binary, or None where Redis is not installed."""
    return shutil.which("redis-server")


def wait_until(check: Callable[[], Any], seconds: float, what: str) -> None:
    """Poll `check` until it returns something true; connection errors count as not yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready within {seconds:g} s")
        time.sleep(0.05)


class RedisSentinelSet:
    """A master and a replica watched by `sentinels` Sentinels (quorum: a majority of them)."""

    def __init__(
        self,
        root: Path,
        *,
        sentinels: int = 1,
        password: str | None = None,
        sentinel_password: str | None = None,
        down_after_ms: int = 500,
        failover_timeout_ms: int = 2000,
    ):
        server = redis_server()
        if server is None:
            raise FileNotFoundError("redis-server is not installed: sudo apt-get install redis-server")
        self.server = server
        self.root = root
        self.password = password
        self.sentinel_password = sentinel_password
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.node_ports = [free_port(), free_port()]
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self._processes: dict[int, subprocess.Popen] = {}

    def __enter__(self) -> RedisSentinelSet:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def url(self, db: int = 0, *, extra_sentinels: tuple[str, ...] = ()) -> str:
        """The product's REDIS_URL for this set; `extra_sentinels` ("host:port") are listed first."""
        hosts = ",".join([*extra_sentinels, *(f"127.0.0.1:{port}" for port in self.sentinel_ports)])
        auth = f":{self.password}@" if self.password else ""
        query = f"?sentinel_password={self.sentinel_password}" if self.sentinel_password else ""
        return f"redis+sentinel://{auth}{hosts}/{MASTER_NAME}/{db}{query}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        master, replica = self.node_ports
        self.start_node(master)
        self.start_node(replica, replica_of=master)
        wait_until(lambda: self.node(replica).info("replication")["master_link_status"] == "up", 15, "replication")
        quorum = len(self.sentinel_ports) // 2 + 1
        for port in self.sentinel_ports:
            self._start_sentinel(port, master, quorum)
        for port in self.sentinel_ports:
            wait_until(lambda p=port: self._sentinel_sees_all(p), 30, f"Sentinel on {port}")

    def _write(self, name: str, lines: list[str]) -> Path:
        conf = self.root / f"{name}.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def _spawn(self, port: int, argv: list[str]) -> None:
        with open(self.root / f"{port}.out", "ab") as log:
            self._processes[port] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def start_node(self, port: int, replica_of: int | None = None) -> None:
        """Start (or start again, empty) the data node on `port`, as a replica of `replica_of`."""
        lines = [
            f"port {port}",
            "bind 127.0.0.1",
            "protected-mode no",
            f"dir {self.root}",
            'save ""',
            "appendonly no",
            # Redis waits 5 s by default for more replicas before a full sync; there is one.
            "repl-diskless-sync-delay 0",
        ]
        if self.password:
            lines += [f"requirepass {self.password}", f"masterauth {self.password}"]
        if replica_of is not None:
            lines.append(f"replicaof 127.0.0.1 {replica_of}")
        self._spawn(port, [self.server, str(self._write(f"redis-{port}", lines))])
        wait_until(lambda: self.node(port).ping(), 15, f"Redis on {port}")

    def _start_sentinel(self, port: int, master: int, quorum: int) -> None:
        lines = [
            f"port {port}",
            "bind 127.0.0.1",
            "protected-mode no",
            f"dir {self.root}",
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} {quorum}",
            f"sentinel down-after-milliseconds {MASTER_NAME} {self.down_after_ms}",
            f"sentinel failover-timeout {MASTER_NAME} {self.failover_timeout_ms}",
        ]
        if self.password:
            lines.append(f"sentinel auth-pass {MASTER_NAME} {self.password}")
        if self.sentinel_password:
            lines += [f"requirepass {self.sentinel_password}", f"sentinel sentinel-pass {self.sentinel_password}"]
        conf = self._write(f"sentinel-{port}", lines)
        binary = shutil.which("redis-sentinel")
        self._spawn(port, [binary, str(conf)] if binary else [self.server, str(conf), "--sentinel"])

    def node(self, port: int, db: int = 0) -> redis.Redis:
        return redis.Redis(port=port, db=db, password=self.password, socket_timeout=1)

    def sentinel(self, port: int | None = None) -> redis.Redis:
        alive = [p for p in self.sentinel_ports if self._processes[p].poll() is None]
        return redis.Redis(port=port or alive[0], password=self.sentinel_password, socket_timeout=1)

    def _sentinel_sees_all(self, port: int) -> bool:
        state = self.sentinel(port).sentinel_master(MASTER_NAME)
        replicas = self.sentinel(port).sentinel_slaves(MASTER_NAME)
        healthy = [r for r in replicas if not ({"s_down", "disconnected"} & set(r["flags"].split(",")))]
        return (
            int(state["num-other-sentinels"]) == len(self.sentinel_ports) - 1
            and len(healthy) == len(self.node_ports) - 1
            and "s_down" not in state["flags"]
        )

    def master_port(self) -> int:
        """The port of the node the Sentinels name master now."""
        _host, port = self.sentinel().sentinel_get_master_addr_by_name(MASTER_NAME)
        return int(port)

    def kill(self, port: int) -> None:
        """kill -9 the process on `port` and reap it."""
        process = self._processes[port]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def kill_master(self) -> int:
        """kill -9 the master; returns its port."""
        port = self.master_port()
        self.kill(port)
        return port

    def wait_for_failover(self, old_master: int, seconds: float = 30) -> int:
        """Wait until the Sentinels name another master and it answers as one; returns its port."""
        wait_until(
            lambda: (
                self.master_port() != old_master
                and self.node(self.master_port()).info("replication")["role"] == "master"
            ),
            seconds,
            "Sentinel failover",
        )
        return self.master_port()

    def restart_as_replica(self, port: int) -> None:
        """Start the killed node on `port` again, empty, as a replica of the current master, and
        wait until the Sentinels count it as a healthy replica again."""
        self.start_node(port, replica_of=self.master_port())
        for sentinel in self.sentinel_ports:
            wait_until(lambda p=sentinel: self._sentinel_sees_all(p), 30, f"Sentinel on {sentinel}")

    def stop(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.kill()
        for process in self._processes.values():
            process.wait(timeout=10)
        self._processes.clear()
