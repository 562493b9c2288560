"""The nginx site in deploy/nginx: it loads in nginx, renders for other ports and backends, and
agrees with the app on what it lets through (body size, WebSocket time-outs)."""

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from backend.charging.config import ChargingSettings
from deploy import nginx_site
from tests.helpers.environment import free_port, skip_or_fail
from tests.helpers.tls import self_signed_certificate

SITE = nginx_site.SITE.read_text(encoding="utf-8")
UNITS = {"k": 1024, "m": 1024 * 1024}


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        skip_or_fail("nginx is not installed (scripts/test-prerequisites.sh installs it)")
    return found


def _locations(site: str) -> dict[str, str]:
    """Each `location` of the site (its prefix or `= path`) and the text of its block."""
    return {m.group(1): m.group(2) for m in re.finditer(r"location ([^{]+?) \{(.*?)\n    \}", site, re.DOTALL)}


def _seconds(block: str, directive: str) -> int:
    return int(re.search(rf"{directive} (\d+)s;", block).group(1))


def test_site_rendered_for_local_ports_passes_nginx_t(tmp_path):
    certificate, key = self_signed_certificate(tmp_path)
    command = nginx_site.local_nginx(
        _nginx(),
        tmp_path,
        [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"],
        http_port=free_port(),
        https_port=free_port(),
        certificate=certificate,
        certificate_key=key,
    )

    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)

    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr


class _Echo(BaseHTTPRequestHandler):
    """A backend that answers what reached it: the method, the client address nginx passed on."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = f"{self.command} {self.headers.get('X-Forwarded-For')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}")


def test_a_post_to_a_dead_backend_is_answered_by_the_live_one_with_nginxs_client_address(tmp_path):
    """The connection to the dead backend is refused, so nothing was sent and even a POST goes on;
    the address a client claims in X-Forwarded-For is replaced by the one nginx saw."""
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    certificate, key = self_signed_certificate(tmp_path)
    https = free_port()
    process = subprocess.Popen(
        nginx_site.local_nginx(
            _nginx(),
            tmp_path,
            [f"127.0.0.1:{free_port()}", f"127.0.0.1:{backend.server_port}"],
            http_port=free_port(),
            https_port=https,
            certificate=certificate,
            certificate_key=key,
        )
    )
    try:
        _wait_for_port(https, process)
        trusted = ssl.create_default_context(cafile=str(certificate))
        with httpx.Client(base_url=f"https://localhost:{https}", verify=trusted) as client:
            answers = [
                client.post("/device/v1/canteen/pay", content=b"{}", headers={"X-Forwarded-For": "203.0.113.9"})
                for _ in range(3)
            ]
            metrics = client.get("/metrics")
    finally:
        process.terminate()
        process.wait(timeout=10)
        backend.shutdown()

    assert [(a.status_code, a.text) for a in answers] == [(200, "POST 127.0.0.1")] * 3
    assert metrics.status_code == 404


def test_render_makes_the_upstream_exactly_the_given_backends_with_the_failure_parameters(tmp_path):
    site = nginx_site.render(
        ["10.0.0.1:8001", "10.0.0.1:8002", "10.0.0.2:8001"],
        http_listen="8080",
        https_listen="127.0.0.1:8443",
        certificate=tmp_path / "c.pem",
        certificate_key=tmp_path / "k.pem",
        server_name="houqin.test",
    )

    upstream = re.search(r"upstream houqin_backends \{(.*?)\n\}", site, re.DOTALL).group(1)
    assert re.findall(r"server (\S+) max_fails=1 fail_timeout=10s;", upstream) == [
        "10.0.0.1:8001",
        "10.0.0.1:8002",
        "10.0.0.2:8001",
    ]
    assert re.findall(r"listen ([^;]+);", site) == ["8080", "127.0.0.1:8443 ssl"]
    assert re.findall(r"server_name ([^;]+);", site) == ["houqin.test", "houqin.test"]
    assert f"ssl_certificate {tmp_path / 'c.pem'};" in site
    assert "houqin.example.gov.cn" not in site and "/etc/houqin/tls" not in site


def test_render_refuses_a_site_that_lost_a_placeholder(tmp_path):
    edited = tmp_path / "houqin.conf"
    edited.write_text(SITE.replace("/etc/houqin/tls/privkey.pem", "/etc/ssl/private/houqin.key"))

    with pytest.raises(ValueError, match="ssl_certificate_key"):
        nginx_site.render(
            ["127.0.0.1:8001"],
            http_listen="80",
            https_listen="443",
            certificate=Path("c.pem"),
            certificate_key=Path("k.pem"),
            site=edited,
        )


def test_every_websocket_route_is_under_a_location_that_outlives_the_longest_heartbeat(app):
    longest_heartbeat = 3600
    assert ChargingSettings.from_env({"CHARGING_HEARTBEAT_SECONDS": str(longest_heartbeat)})
    with pytest.raises(ValueError):
        ChargingSettings.from_env({"CHARGING_HEARTBEAT_SECONDS": str(longest_heartbeat + 1)})
    prefixes = {name: block for name, block in _locations(SITE).items() if not name.startswith("=")}
    websocket_paths = ["/" + route.path for route in app.router.routes if route.extra.websocket]

    assert websocket_paths
    for path in websocket_paths:
        prefix = max((p for p in prefixes if path.startswith(p)), key=len)
        assert prefix != "/", f"{path} would be cut off after the site's ordinary read time-out"
        assert _seconds(prefixes[prefix], "proxy_read_timeout") > longest_heartbeat
        assert _seconds(prefixes[prefix], "proxy_send_timeout") > longest_heartbeat


def test_body_limit_lets_the_app_refuse_what_is_too_large_itself(app):
    size, unit = re.search(r"client_max_body_size (\d+)([km]);", SITE).groups()
    limit = int(size) * UNITS[unit]

    assert app.config.REQUEST_MAX_SIZE <= limit <= app.config.REQUEST_MAX_SIZE + UNITS["m"]


def test_client_address_is_overwritten_for_one_proxy():
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in SITE
    assert "$proxy_add_x_forwarded_for" not in SITE
    assert re.search(r"^PROXIES_COUNT=1$", (nginx_site.SITE.parents[1] / "houqin.env.example").read_text(), re.M)


def test_a_post_already_sent_to_a_backend_is_never_resent_to_another():
    retries = re.findall(r"proxy_next_upstream ([^;]+);", SITE)

    assert retries == ["error timeout"]
