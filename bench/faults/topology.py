"""The production topology on one machine: a PostgreSQL cluster of its own, a Redis master with a
replica and three Sentinels, two `houqin serve` behind nginx, the job worker and the scheduler.

Everything lives under one temporary directory and listens on free ports of 127.0.0.1, so the
machine's own PostgreSQL (5432) and Redis (6379) are never touched. Each piece can be killed and
started again by the scenarios.

The product reaches Redis through the Sentinels (`redis+sentinel://…/mymaster/0`), and nginx
runs the deployment's own site (deploy/nginx/houqin.conf), so what is proven is what ships.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bench.common import free_port
from bench.faults.procs import Supervisor, group_alive
from deploy.nginx_site import local_nginx

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"
SENTINEL_MASTER = "mymaster"
HOUQIN = [sys.executable, "-m", "backend.cli"]
REPO = Path(__file__).resolve().parents[2]


class MissingTool(SystemExit):
    """A piece of the topology is not installed; the message says the one command to run."""


def require_tools() -> None:
    if not (PG_BIN / "initdb").exists():
        raise MissingTool("faults: PostgreSQL 15 is missing; run: apt-get install -y postgresql-15")
    if shutil.which("redis-server") is None:
        raise MissingTool("faults: redis-server is missing; run: apt-get install -y redis-server")
    if shutil.which("nginx") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("faults: installing nginx (apt-get install -y nginx-light)", flush=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "nginx-light"],
                check=False,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        if shutil.which("nginx") is None:
            raise MissingTool("faults: nginx is missing; run: sudo apt-get install -y nginx-light")
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", PG_USER], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            raise MissingTool(
                f"faults: initdb refuses root and there is no {PG_USER} user; run: adduser --system {PG_USER}"
            ) from None


def wait_until(check, timeout: float, what: str, every: float = 0.1) -> float:
    """Seconds until `check()` is true; RuntimeError naming `what` after `timeout`."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # a piece on its way up refuses connections; that is what we wait through
            pass
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(every)


@dataclass
class Postgres:
    procs: Supervisor
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "pg" / "data"

    def url(self, database: str) -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _as_owner(self) -> str | None:
        return PG_USER if os.geteuid() == 0 else None

    def create(self) -> None:
        (self.root / "pg").mkdir()
        if self._as_owner():
            shutil.chown(self.root / "pg", PG_USER, PG_USER)
        subprocess.run(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", PG_USER, "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            user=self._as_owner(),
        )
        self.start()
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "houqin"],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.procs.start(
            "postgres",
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.root / "pg"),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=64MB",
            ],
            user=self._as_owner(),
        )
        wait_until(self.ready, 60, "PostgreSQL")

    def ready(self) -> bool:
        return (
            subprocess.run(
                [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
            ).returncode
            == 0
        )

    def restart_fast(self) -> None:
        """pg_ctl restart -m fast: the way an operator (or a package upgrade) restarts it."""
        subprocess.run(
            [str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w"],
            check=True,
            capture_output=True,
            user=self._as_owner(),
        )
        self.procs.forget("postgres")
        self.start()

    def kill9_postmaster(self) -> None:
        """kill -9 of the postmaster alone; its backends notice and exit (what is left after 10 s
        is killed, as systemd would), then it starts again and recovers from its WAL."""
        pgid = self.procs.pid("postgres")
        self.procs.kill9("postgres", whole_group=False)
        deadline = time.monotonic() + 10
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if group_alive(pgid):
            os.killpg(pgid, 9)
        self.procs.forget("postgres")
        self.start()


@dataclass
class RedisNode:
    name: str
    port: int


class RedisSet:
    """A master, a replica and three Sentinels watching them (quorum 2)."""

    def __init__(self, procs: Supervisor, root: Path):
        self.procs = procs
        self.root = root / "redis"
        self.nodes = [RedisNode("redis-a", free_port()), RedisNode("redis-b", free_port())]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.redis_server = shutil.which("redis-server") or "redis-server"

    @property
    def url(self) -> str:
        """What the product is given: the Sentinels, which name the master of the moment."""
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SENTINEL_MASTER}/0"

    def start(self) -> None:
        self.root.mkdir()
        self.start_node(self.nodes[0])
        self.start_node(self.nodes[1], replica_of=self.nodes[0].port)
        for i, port in enumerate(self.sentinel_ports):
            directory = self.root / f"sentinel-{i}"
            directory.mkdir()
            conf = directory / "sentinel.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
                f"sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {self.nodes[0].port} 2\n"
                f"sentinel down-after-milliseconds {SENTINEL_MASTER} 2000\n"
                f"sentinel failover-timeout {SENTINEL_MASTER} 10000\n"
                f"sentinel parallel-syncs {SENTINEL_MASTER} 1\n"
            )
            sentinel = shutil.which("redis-sentinel")
            argv = [sentinel, str(conf)] if sentinel else [self.redis_server, str(conf), "--sentinel"]
            self.procs.start(f"sentinel-{i}", argv)
        for port in self.sentinel_ports:
            wait_until(lambda p=port: self._sentinels_known(p), 30, f"Redis Sentinel on {port}")

    def _sentinels_known(self, port: int) -> bool:
        info = redis.Redis(port=port, socket_timeout=1).sentinel_master(SENTINEL_MASTER)
        return info["num-other-sentinels"] == 2 and info["num-slaves"] == 1

    def start_node(self, node: RedisNode, replica_of: int | None = None) -> None:
        """A node without persistence: restarted, it comes back empty (the data-loss scenario)."""
        directory = self.root / node.name
        directory.mkdir(exist_ok=True)
        argv = [
            self.redis_server,
            "--port",
            str(node.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.procs.start(node.name, argv)
        wait_until(lambda: redis.Redis(port=node.port, socket_timeout=1).ping(), 30, f"Redis on {node.port}")

    def master(self) -> RedisNode:
        """The node the Sentinels name master now."""
        _host, port = redis.Redis(port=self.sentinel_ports[0], socket_timeout=1).sentinel_get_master_addr_by_name(
            SENTINEL_MASTER
        )
        return next(n for n in self.nodes if n.port == int(port))

    def in_sync(self, node: RedisNode) -> bool:
        """`node` is a replica whose link to the master is up."""
        info = redis.Redis(port=node.port, socket_timeout=1).info("replication")
        return info["role"] == "slave" and info["master_link_status"] == "up"


class Nginx:
    """The deployment's own site (deploy/nginx/houqin.conf, rendered by deploy.nginx_site for these
    ports) with a throwaway self-signed certificate: the terminals reach it over HTTPS, as in
    production."""

    def __init__(self, procs: Supervisor, root: Path, backends: list[int]):
        self.procs = procs
        self.root = root / "nginx"
        self.port = free_port()
        self.http_port = free_port()
        self.backends = backends
        self.certificate = self.root / "certificate.pem"
        self.tls: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.root.mkdir()
        key = self.root / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
            + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(self.certificate)],
            check=True,
            capture_output=True,
        )
        self.tls = ssl.create_default_context(cafile=str(self.certificate))
        argv = local_nginx(
            shutil.which("nginx") or "nginx",
            self.root,
            [f"127.0.0.1:{p}" for p in self.backends],
            http_port=self.http_port,
            https_port=self.port,
            certificate=self.certificate,
            certificate_key=key,
        )
        self.procs.start("nginx", argv)
        wait_until(lambda: _http_status(f"{self.url}/health", self.tls) == 200, 60, "nginx in front of the backends")


def _http_status(url: str, tls: ssl.SSLContext | None = None) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2, context=tls) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Topology:
    """The whole of it; `start` brings it up in order, the Supervisor takes it down. `settings`
    are more of the product's settings for each of its processes (WeChat's stand-in)."""

    def __init__(self, root: Path, procs: Supervisor, media: Path, settings: dict[str, str]):
        self.root = root
        self.settings = settings
        self.procs = procs
        self.postgres = Postgres(procs, root)
        self.redis = RedisSet(procs, root)
        self.backend_ports = [free_port(), free_port()]
        self.nginx = Nginx(procs, root, self.backend_ports)
        self.media = media
        self.data_key = base64.b64encode(secrets.token_bytes(32)).decode()

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.postgres.url("houqin"),
            "REDIS_URL": self.redis.url,
            "HOUQIN_DATA_KEY": self.data_key,
            "HOUQIN_VAR_DIR": str(self.root / "var"),
            "MEDIA_STORAGE_URL": str(self.media),
            "PROXIES_COUNT": "1",
            "LOG_LEVEL": "WARNING",
            "LOGIN_RATE_LIMIT": "1000/minute",
            "API_RATE_LIMIT": "100000/minute",
            # A killed worker's job is taken over after this; the product's two minutes would
            # make scenario 2 wait longer than its limit for what it proves either way.
            "JOB_REDELIVER_SECONDS": "20",
            "PYTHONPATH": str(REPO),
            **self.settings,
            **extra,
        }

    def start_infrastructure(self) -> None:
        self.postgres.create()
        self.redis.start()

    def start_backend(self, index: int) -> None:
        self._spawn_backend(index)
        self._wait_backend(index)

    def _spawn_backend(self, index: int) -> None:
        port = str(self.backend_ports[index])
        self.procs.start(f"backend-{index}", [*HOUQIN, "serve"], env=self.env(PORT=port, WORKERS="1"))

    def _wait_backend(self, index: int) -> None:
        port = self.backend_ports[index]
        wait_until(lambda: _http_status(f"http://127.0.0.1:{port}/ready") == 200, 90, f"houqin serve on {port}")

    def start_worker(self) -> None:
        self.procs.start("worker", [*HOUQIN, "worker"], env=self.env())

    def start_scheduler(self) -> None:
        self.procs.start("scheduler", [*HOUQIN, "scheduler"], env=self.env())

    def start_services(self) -> None:
        for index in range(len(self.backend_ports)):
            self._spawn_backend(index)
        for index in range(len(self.backend_ports)):
            self._wait_backend(index)
        self.nginx.start()
        self.start_worker()
        self.start_scheduler()
