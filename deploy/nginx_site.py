"""The nginx site of deploy/nginx/houqin.conf with other backends, ports, name and certificate.

The shipped file is what a bureau installs after replacing its placeholders by hand; this
renders the very same file for a topology on one machine (a test's `nginx -t`, the fault
harness's nginx in front of its own `houqin serve` processes), so what is tested is what ships.
Every placeholder must be found where the shipped file has it: a renamed one fails here rather
than leaving a production value in a rendered site.
"""

from __future__ import annotations

import re
from pathlib import Path

SITE = Path(__file__).resolve().parent / "nginx" / "houqin.conf"

SERVER_NAME = "server_name houqin.example.gov.cn;"
CERTIFICATE = "ssl_certificate /etc/houqin/tls/fullchain.pem;"
CERTIFICATE_KEY = "ssl_certificate_key /etc/houqin/tls/privkey.pem;"
HTTP_LISTEN = "    listen 80;\n    listen [::]:80;\n"
HTTPS_LISTEN = "    listen 443 ssl;\n    listen [::]:443 ssl;\n"
# The upstream's server lines, each with the shipped failure parameters.
BACKEND = re.compile(r"^    server (\S+)( max_fails=\S+ fail_timeout=\S+);\n", re.MULTILINE)


def _replace(text: str, placeholder: str, value: str) -> str:
    if placeholder not in text:
        raise ValueError(f"the nginx site no longer has the placeholder {placeholder!r}")
    return text.replace(placeholder, value)


def render(
    backends: list[str],
    *,
    http_listen: str,
    https_listen: str,
    certificate: Path,
    certificate_key: Path,
    server_name: str = "localhost",
    site: Path = SITE,
) -> str:
    """The site with `backends` ("host:port", at least one) as its upstream, listening on
    `http_listen` (the redirect to HTTPS) and `https_listen` ("port" or "address:port"), with
    the given server name, certificate and key."""
    if not backends:
        raise ValueError("an upstream needs at least one backend")
    text = site.read_text(encoding="utf-8")
    shipped = list(BACKEND.finditer(text))
    if not shipped:
        raise ValueError("the nginx site no longer has its upstream's server lines")
    failure = shipped[0].group(2)
    lines = "".join(f"    server {backend}{failure};\n" for backend in backends)
    text = text[: shipped[0].start()] + lines + text[shipped[-1].end() :]
    text = _replace(text, HTTP_LISTEN, f"    listen {http_listen};\n")
    text = _replace(text, HTTPS_LISTEN, f"    listen {https_listen} ssl;\n")
    text = _replace(text, SERVER_NAME, f"server_name {server_name};")
    text = _replace(text, CERTIFICATE, f"ssl_certificate {certificate};")
    return _replace(text, CERTIFICATE_KEY, f"ssl_certificate_key {certificate_key};")


def standalone(site: str, prefix: Path) -> str:
    """A whole nginx.conf around `site` that runs unprivileged from `prefix` (its pid, logs and
    temporary files there, in the foreground): for `nginx -p <prefix> -c <this file>`."""
    return f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


def local_nginx(
    nginx: str,
    prefix: Path,
    backends: list[str],
    *,
    http_port: int,
    https_port: int,
    certificate: Path,
    certificate_key: Path,
) -> list[str]:
    """Write the site for `backends` on 127.0.0.1's `http_port` and `https_port`, wrapped by
    `standalone`, into `prefix`; the command that runs it in the foreground (add "-t" to check
    it). SIGTERM stops it at once, SIGQUIT after the requests in flight."""
    site = render(
        backends,
        http_listen=f"127.0.0.1:{http_port}",
        https_listen=f"127.0.0.1:{https_port}",
        certificate=certificate,
        certificate_key=certificate_key,
    )
    config = prefix / "nginx.conf"
    config.write_text(standalone(site, prefix), encoding="utf-8")
    return [nginx, "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(config)]
