"""The production topology on one machine: a PostgreSQL cluster of its own, a Redis master with a
replica and three Sentinels, two `houqin serve` behind nginx, the job worker and the scheduler.

Everything lives under one temporary directory and listens on free ports of 127.0.0.1, so the
machine's own PostgreSQL (5432) and Redis (6379) are never touched. Each piece can be killed and
started again by the scenarios.

Two lines plug in what the other parts of issue 19 bring once they land: `REDIS_THROUGH_SENTINEL`
(the product then gets `redis+sentinel://…/mymaster/0` instead of the master's own address) and
`NGINX_SITE` (the deployment's nginx site instead of the harness's own minimal one).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bench.common import free_port
from bench.faults.procs import Supervisor, group_alive

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"
SENTINEL_MASTER = "mymaster"
# The product reaches Redis through the Sentinels once it understands their URL (issue 19's
# Sentinel part); until then through the master's own address, which cannot follow a failover.
REDIS_THROUGH_SENTINEL = False
# The deployment's nginx site (issue 19's deploy part), its listen and upstream addresses rewritten
# to the harness's ports; None: the harness's own minimal site below.
NGINX_SITE: Path | None = None
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
    def master_url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    @property
    def sentinel_url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SENTINEL_MASTER}/0"

    @property
    def product_url(self) -> str:
        return self.sentinel_url if REDIS_THROUGH_SENTINEL else self.master_url

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

    def is_master(self, node: RedisNode) -> bool:
        return redis.Redis(port=node.port, socket_timeout=1).info("replication")["role"] == "master"

    def fail_back(self) -> None:
        """Make the first node master again (SENTINEL FAILOVER), where the product's plain URL
        points, so the scenarios after a failover run on the topology they expect."""
        if self.master() is self.nodes[0]:
            return
        wait_until(lambda: self._replica_in_sync(self.nodes[0]), 60, "the old Redis master resyncing")
        redis.Redis(port=self.sentinel_ports[0], socket_timeout=5).execute_command(
            "SENTINEL", "FAILOVER", SENTINEL_MASTER
        )
        wait_until(lambda: self.master() is self.nodes[0] and self.is_master(self.nodes[0]), 60, "Redis fail-back")
        wait_until(lambda: self._replica_in_sync(self.nodes[1]), 60, "the Redis replica resyncing")

    def _replica_in_sync(self, node: RedisNode) -> bool:
        info = redis.Redis(port=node.port, socket_timeout=1).info("replication")
        return info["role"] == "slave" and info["master_link_status"] == "up"


OWN_SITE = """
upstream houqin {{
{servers}
    keepalive 16;
}}
server {{
    listen 127.0.0.1:{port};
    client_max_body_size 20m;
    location / {{
        proxy_pass http://houqin;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_next_upstream error timeout http_502;
        proxy_connect_timeout 2s;
        proxy_read_timeout 30s;
    }}
}}
"""


def site_config(port: int, backends: list[int]) -> str:
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in backends)
    if NGINX_SITE is None:
        return OWN_SITE.format(servers=servers, port=port)
    # The deployment's site with the harness's addresses: its upstream servers, and its listen
    # lines. The TLS server is the one the terminals reach, over plain HTTP here (a test run has
    # no certificates); any other server (the redirect to HTTPS) listens on a spare port.
    text = (REPO / NGINX_SITE).read_text()
    text = re.sub(r"^[ \t]*server\s+[\w.\-]+:\d+[^;]*;[ \t]*\n", "", text, flags=re.M)
    text = re.sub(r"(upstream\s+\w+\s*\{)", lambda m: m.group(1) + "\n" + servers, text, count=1)
    text = re.sub(r"^[ \t]*ssl_\w+[^;]*;[ \t]*\n", "", text, flags=re.M)
    has_tls = re.search(r"^\s*listen\s+[^;]*\bssl\b", text, flags=re.M) is not None
    spare = free_port()

    def listen(match: re.Match[str]) -> str:
        ours = "ssl" in match.group(2).split() or not has_tls
        return f"{match.group(1)}listen 127.0.0.1:{port if ours else spare};"

    return re.sub(r"^(\s*)listen\s+([^;]*);", listen, text, flags=re.M)


class Nginx:
    def __init__(self, procs: Supervisor, root: Path, backends: list[int]):
        self.procs = procs
        self.root = root / "nginx"
        self.port = free_port()
        self.backends = backends

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.root.mkdir()
        (self.root / "site.conf").write_text(site_config(self.port, self.backends))
        temp = "\n".join(
            f"    {kind}_temp_path {self.root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.root / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {self.root / 'nginx.pid'};\n"
            f"error_log {self.root / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log off;\n{temp}\n    include {self.root / 'site.conf'};\n}}\n"
        )
        self.procs.start("nginx", ["nginx", "-p", str(self.root), "-c", str(self.root / "nginx.conf")])
        wait_until(lambda: _http_status(f"{self.url}/health") == 200, 60, "nginx in front of the backends")


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Topology:
    """The whole of it; `start` brings it up in order, the Supervisor takes it down."""

    def __init__(self, root: Path, procs: Supervisor, media: Path):
        self.root = root
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
            "REDIS_URL": self.redis.product_url,
            "HOUQIN_DATA_KEY": self.data_key,
            "HOUQIN_VAR_DIR": str(self.root / "var"),
            "MEDIA_STORAGE_URL": str(self.media),
            "PROXIES_COUNT": "1",
            "LOG_LEVEL": "WARNING",
            "LOGIN_RATE_LIMIT": "1000/minute",
            "API_RATE_LIMIT": "100000/minute",
            "PYTHONPATH": str(REPO),
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
