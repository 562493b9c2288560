"""The `houqin` command as a new user meets it: the embedded default with no settings at all."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx

HOUQIN = [sys.executable, "-m", "backend.cli"]


def embedded_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "HOUQIN_DATA_KEY")}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return {**env, "HOUQIN_VAR_DIR": str(tmp_path / "var"), "PORT": str(port)}


def houqin(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*HOUQIN, *args], env=env, input=stdin, capture_output=True, text=True, timeout=600)


def admin_password(output: str) -> str:
    return re.search(r"\| 管理员密码：(\S+)", output).group(1)


def test_embedded_default_migrates_seeds_once_and_serves(tmp_path):
    env = embedded_env(tmp_path)
    assert houqin(env, "migrate").returncode == 0
    seeded = houqin(env, "seed-demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    password = admin_password(seeded.stdout)
    again = houqin(env, "seed-demo", "--if-empty")
    assert "跳过" in again.stdout and password not in again.stdout
    assert (tmp_path / "var" / "houqin.sqlite3").exists()

    server = subprocess.Popen([*HOUQIN, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_ready(base)
        assert httpx.get(f"{base}/ready").json()["checks"] == {"database": "ok", "redis": "ok"}
        login = httpx.post(f"{base}/admin/v1/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200 and login.json()["admin"]["must_change_password"] is True
        # the printed password has been on a screen: it opens nothing until replaced
        first = {"Authorization": f"Bearer {login.json()['token']}"}
        refused = httpx.get(f"{base}/admin/v1/people", headers=first)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "accounts.password_change_required"
        changed = httpx.post(
            f"{base}/admin/v1/auth/password",
            headers=first,
            json={"current_password": password, "new_password": "Admin-Own-Passw0rd"},
        )
        assert changed.status_code == 200
        people = httpx.get(f"{base}/admin/v1/people", headers={"Authorization": f"Bearer {changed.json()['token']}"})
        assert people.json()["total"] == 11  # the demo roster and the fleet's six drivers
    finally:
        server.terminate()
        server.wait(timeout=20)


def wait_ready(base: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never became ready")


class Started:
    """`houqin run` in the background, its output collected as it comes."""

    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen(
            [*HOUQIN, "run"], env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.process.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "\n".join(self.lines)
            time.sleep(0.2)

    def stop(self) -> str:
        """Stop it as Ctrl-C in `make run` would, and return all it printed."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return "\n".join(self.lines)


def test_run_boxes_the_secrets_last_on_the_first_start_only_and_a_restart_keeps_logins(tmp_path):
    env = embedded_env(tmp_path)
    base = f"http://127.0.0.1:{env['PORT']}"

    # first start: migrations, the demo's lines, the server's logs, then the box, last
    first = Started(env)
    try:
        first.wait_for("忘记管理员密码")
        time.sleep(1)  # anything printed after the box would show up by now
        login = httpx.post(
            f"{base}/admin/v1/auth/login",
            json={"username": "admin", "password": admin_password("\n".join(first.lines))},
        )
        assert login.status_code == 200
        token = login.json()["token"]
    finally:
        printed = first.stop().splitlines()
    tops = [i for i, line in enumerate(printed) if line.startswith("+--")]
    assert len(tops) == 2, printed
    started = next(i for i, line in enumerate(printed) if "已启动" in line)
    seeded = next(i for i, line in enumerate(printed) if line.startswith("报修："))
    ready = next(i for i, line in enumerate(printed) if "Worker ready" in line)
    assert printed.index("数据库迁移已完成。") < seeded < ready < started < tops[0]
    box = printed[tops[0] : tops[1] + 1]
    assert f"| 管理控制台：{base}/console/login" in "\n".join(box)
    assert any("T-0001 的设备密钥" in line for line in box)
    assert any("create-admin --username admin --reset-password" in line for line in box)
    # the human log lines of the embedded default, not JSON
    assert any("[info" in line and "Worker ready" in line for line in printed)
    assert not any(line.startswith("{") for line in printed)

    # a restart shows no secret, and whoever was logged in still is
    second = Started(env)
    try:
        second.wait_for("已启动")
        wait_ready(base)
        # (the demo admin has yet to replace the printed password, which /auth/me still answers)
        me = httpx.get(f"{base}/admin/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "admin"
    finally:
        again = second.stop()
    assert "跳过" in again and "管理员密码" not in again and "+--" not in again


def test_create_admin_reads_password_from_stdin_and_refuses_a_weak_one(tmp_path):
    env = embedded_env(tmp_path)
    houqin(env, "migrate")
    weak = houqin(env, "create-admin", "--username", "ops", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "密码至少" in weak.stderr
    made = houqin(env, "create-admin", "--username", "ops", "--password-stdin", stdin="Ops-Passw0rd-2026\n")
    assert made.returncode == 0 and "Ops-Passw0rd-2026" not in made.stdout


def test_create_admin_with_a_generated_password_forces_its_change_at_first_login(tmp_path):
    env = embedded_env(tmp_path)
    houqin(env, "migrate")
    generated = houqin(env, "create-admin", "--username", "first")
    assert generated.returncode == 0 and "首次登录后须先修改密码" in generated.stdout
    houqin(env, "create-admin", "--username", "typed", "--password-stdin", stdin="Typed-Passw0rd-2026\n")
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "houqin.sqlite3") as db:
        flags = dict(db.execute("SELECT username, must_change_password FROM accounts_admin_user"))
    assert flags == {"first": 1, "typed": 0}


def test_create_admin_resets_a_lost_password_and_ends_the_old_logins(tmp_path):
    env = embedded_env(tmp_path)
    houqin(env, "migrate")
    houqin(env, "create-admin", "--username", "ops", "--password-stdin", stdin="Ops-Passw0rd-2026\n")
    reset = houqin(env, "create-admin", "--username", "ops", "--reset-password", "--password-stdin", stdin="")
    assert reset.returncode == 0, reset.stderr
    new_password = re.search(r"密码（只显示这一次）：(\S+)", reset.stdout).group(1)
    assert "已重置" in reset.stdout and new_password != "Ops-Passw0rd-2026"
    import asyncio
    import sqlite3

    from backend.core.passwords import verify_password

    with sqlite3.connect(tmp_path / "var" / "houqin.sqlite3") as db:
        [(password_hash, epoch)] = db.execute(
            "SELECT password_hash, session_epoch FROM accounts_admin_user WHERE username = 'ops'"
        )
    assert asyncio.run(verify_password(password_hash, new_password))
    assert not asyncio.run(verify_password(password_hash, "Ops-Passw0rd-2026"))
    assert epoch == 1  # every session issued before the reset is refused
    unknown = houqin(env, "create-admin", "--username", "nobody", "--reset-password", "--password-stdin", stdin="")
    assert unknown.returncode == 1 and "没有用户名为 nobody 的管理员" in unknown.stderr


def test_reconcile_passes_on_clean_books_and_fails_naming_the_problem(tmp_path):
    env = embedded_env(tmp_path)
    houqin(env, "migrate")
    houqin(env, "seed-demo")
    clean = houqin(env, "reconcile")
    assert clean.returncode == 0 and "对账通过" in clean.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "houqin.sqlite3") as db:
        db.execute("UPDATE wallet_wallet SET cash_balance = cash_balance + 1 WHERE id = 1")
    broken = houqin(env, "reconcile")
    assert broken.returncode == 1 and "现金余额" in broken.stderr


def test_open311_key_is_shown_once_stored_only_as_an_index_and_revoked(tmp_path):
    env = embedded_env(tmp_path)
    houqin(env, "migrate")
    houqin(env, "seed-demo")
    issued = houqin(env, "open311-key", "--name", "12345热线", "--employee-no", "D0005")
    assert issued.returncode == 0, issued.stderr
    key_id, api_key = re.search(r"#(\d+).*\n.*只显示这一次.*：(\S+)", issued.stdout).groups()
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "houqin.sqlite3") as db:
        [(key_index, person)] = db.execute(
            "SELECT k.key_index, p.employee_no FROM repairs_open311_key k JOIN accounts_person p ON p.id = k.person_id"
        )
    assert person == "D0005" and key_index != api_key
    assert api_key.encode() not in (tmp_path / "var" / "houqin.sqlite3").read_bytes()
    listed = houqin(env, "open311-key", "--list")
    assert "12345热线" in listed.stdout and "有效" in listed.stdout and api_key not in listed.stdout
    assert houqin(env, "open311-key", "--revoke", key_id).returncode == 0
    assert "已吊销" in houqin(env, "open311-key", "--list").stdout
    unknown = houqin(env, "open311-key", "--name", "城市大屏", "--employee-no", "D9999")
    assert unknown.returncode == 1 and "D9999" in unknown.stderr


def test_run_writes_no_demo_into_a_production_database(tmp_path, monkeypatch, capsys):
    import base64
    import secrets as token

    from backend import cli
    from backend.core.web import observability

    served, seeded = [], []
    monkeypatch.setattr(cli, "_migrate", lambda settings: None)
    monkeypatch.setattr(cli, "_seed", lambda settings, if_empty: seeded.append(settings))
    monkeypatch.setattr(cli, "_serve", lambda settings, last_words="": served.append(last_words))
    monkeypatch.setattr(observability, "configure_logging", lambda level, fmt: None)
    production = {
        "HOUQIN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://houqin@db.example:5432/houqin",
        "REDIS_URL": "redis://redis.example:6379/0",
        "HOUQIN_DATA_KEY": base64.b64encode(token.token_bytes(32)).decode(),
    }
    monkeypatch.setattr(os, "environ", production)
    assert cli.main(["run"]) == 0
    assert seeded == [] and served == [""]
    assert "不写入演示数据" in capsys.readouterr().out
