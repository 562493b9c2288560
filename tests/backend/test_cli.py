"""The `houqin` command as a new user meets it: the embedded default with no settings at all."""

import os
import re
import socket
import subprocess
import sys
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
    return subprocess.run([*HOUQIN, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_embedded_default_migrates_seeds_once_and_serves(tmp_path):
    env = embedded_env(tmp_path)
    assert houqin(env, "migrate").returncode == 0
    seeded = houqin(env, "seed-demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    password = re.search(r"管理员密码（只显示这一次，请妥善保存）：(\S+)", seeded.stdout).group(1)
    again = houqin(env, "seed-demo", "--if-empty")
    assert "跳过" in again.stdout and password not in again.stdout
    assert (tmp_path / "var" / "houqin.sqlite3").exists()

    server = subprocess.Popen([*HOUQIN, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
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
        assert people.json()["total"] == 5
    finally:
        server.terminate()
        server.wait(timeout=20)


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
