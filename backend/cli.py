"""The `houqin` command: run, serve, migrate, create-admin, seed-demo, reconcile, open311-key,
worker, scheduler, collect, backup, restore."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import os
import shutil
import sys
import unicodedata
from functools import partial

from backend.core.config import Settings

RESET_HINT = ".venv/bin/houqin create-admin --username admin --reset-password"


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def secrets_box(secrets: list[tuple[str, str]], url: str) -> str:
    """The one-time secrets of the first start, framed so they stand out from the logs above,
    with where to log in and how to recover a lost password."""
    lines = [
        "首次启动：以下密码和密钥只显示这一次，请立即妥善保存",
        "",
        f"管理控制台：{url}/console/login（管理员首次登录后须先修改密码）",
        *(f"{label}：{value}" for label, value in secrets),
        "",
        f"忘记管理员密码：在本目录执行 {RESET_HINT}",
    ]
    inner = max(_width(line) for line in lines)
    edge = "+" + "-" * (inner + 2) + "+"
    return "\n".join([edge, *(f"| {line}{' ' * (inner - _width(line))} |" for line in lines), edge])


def _base_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}"


def _serve(settings: Settings, last_words: str = "") -> None:
    """Serve until stopped; once the server answers, say where, then `last_words` (the box)."""
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from backend.app import create_app

    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        single_process=settings.embedded,
        access_log=False,
        motd=False,
    )

    def announce(*_: object) -> None:
        print(f"机关事务后勤服务平台已启动：{_base_url(settings)}  （接口文档 /docs）", flush=True)
        if last_words:
            print(last_words, flush=True)

    async def announce_when_serving() -> None:
        # Sanic marks the app running once every start listener is done, logs "Worker ready"
        # and only then runs the loop again: the announcement comes after all of it.
        while not app.state.is_running:
            await asyncio.sleep(0.05)
        announce()

    def start_announcing(started: Sanic) -> None:
        started.add_task(announce_when_serving())  # not returned: Sanic would wait for it

    # One process on the embedded default (it has no main process of its own); in production,
    # the main process speaks once for all workers.
    if settings.embedded:
        app.after_server_start(start_announcing)
        Sanic.serve_single(primary=app)
    else:
        app.main_process_ready(announce)
        Sanic.serve(primary=app, app_loader=loader)


async def _with_runtime(settings: Settings, work):
    from backend.runtime import close_runtime, open_runtime

    runtime = await open_runtime(settings)
    try:
        return await work(runtime)
    finally:
        await close_runtime(runtime)


def _migrate(settings: Settings) -> None:
    from backend.core.db import migrate
    from backend.modules import model_modules

    asyncio.run(migrate(settings, model_modules()))
    print("数据库迁移已完成。")


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from backend.core.errors import AppError
    from backend.demo import create_superadmin, generate_password, reset_admin_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("新密码（留空则自动生成）：")
    else:
        password = ""
    generated = not password
    password = password or generate_password()

    async def work(_runtime) -> dict | None:
        if args.reset_password:
            return await reset_admin_password(args.username, password)
        # A generated password has been on a screen (and in a scrollback): its first login replaces it.
        return await create_superadmin(args.username, args.name, password, must_change_password=generated)

    try:
        admin = asyncio.run(_with_runtime(settings, work))
    except AppError as exc:
        print(f"{'重置' if args.reset_password else '创建'}失败：{exc.message}", file=sys.stderr)
        return 1
    if admin is None:
        print(f"没有用户名为 {args.username} 的管理员；去掉 --reset-password 即新建一位超级管理员。", file=sys.stderr)
        return 1
    if args.reset_password:
        print(f"已重置管理员 {args.username} 的密码，其原有登录全部失效。")
    else:
        print(f"已创建超级管理员 {args.username}。")
    if generated:
        print(f"密码（只显示这一次）：{password}")
        print("首次登录后须先修改密码。")
    return 0


def _seed(settings: Settings, if_empty: bool):
    from backend.demo import seed

    return asyncio.run(_with_runtime(settings, lambda rt: seed(rt, if_empty=if_empty)))


def _seed_demo(settings: Settings, args: argparse.Namespace) -> None:
    seeded = _seed(settings, args.if_empty)
    print("\n".join(seeded.lines))
    if seeded.secrets:
        print(secrets_box(seeded.secrets, _base_url(settings)))


def _run(settings: Settings) -> None:
    """What `make run` does: migrate, seed the demo on the first start, serve; the first start's
    secrets come last, after every log line of the start-up. With production settings there is
    no demo: an empty production database gets its first admin from `create-admin`."""
    from backend.core.web.observability import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    _migrate(settings)
    if not settings.embedded:
        print("已配置 REDIS_URL（生产环境）：不写入演示数据；首次部署请用 houqin create-admin 创建管理员。", flush=True)
        _serve(settings)
        return
    seeded = _seed(settings, if_empty=True)
    print("\n".join(seeded.lines), flush=True)
    if not settings.wechat_appid and "WECHAT_STANDIN" not in os.environ:
        # The demo's cadres log in without WeChat (WECHAT_STANDIN=0 turns the stand-in off).
        settings = dataclasses.replace(settings, wechat_standin=True)
    if settings.wechat_standin:
        print("微信替身已启用（仅演示）：小程序 H5 版可用名册中的手机号演示登录，如 13800000001（张伟）。", flush=True)
    # The demo's energy meters are read from simulators this process runs (ENERGY_DEMO_SIMULATORS=0 turns them off).
    os.environ.setdefault("ENERGY_DEMO_SIMULATORS", "1")
    _serve(settings, secrets_box(seeded.secrets, _base_url(settings)) if seeded.secrets else "")


def _reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import date

    from backend.core.timeutil import today
    from backend.reconcile import check

    day = date.fromisoformat(args.date) if args.date else today()
    problems = asyncio.run(_with_runtime(settings, lambda rt: check(day)))
    if problems:
        print(f"对账发现 {len(problems)} 处问题：", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"对账通过（{day.isoformat()}）：全部账户合计为零，各账户余额与分录一致，各食堂入账与终端合计一致。")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.backup import BackupError, backup

    try:
        size = backup(settings, Path(args.file), args.pg_bin)
    except BackupError as problem:
        print(f"备份失败：{problem}", file=sys.stderr)
        return 1
    print(f"已备份数据库到 {args.file}（{size / 1024 / 1024:.1f} MB）。")
    print("数据库备份不含个人信息加密密钥 HOUQIN_DATA_KEY 和文件存储（MEDIA_STORAGE_URL）中的照片与文件，请另行备份：")
    print("没有这把密钥，备份中的个人信息无法解密。")
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    """Restore into the new, empty database of DATABASE_URL, bring it to this version's schema,
    then reconcile: the exit status is the reconciliation's."""
    from pathlib import Path

    from backend.backup import BackupError, restore

    try:
        asyncio.run(restore(settings, Path(args.file), args.pg_bin))
    except BackupError as problem:
        print(f"恢复失败：{problem}", file=sys.stderr)
        return 1
    print(f"已从 {args.file} 恢复数据库。")
    _migrate(settings)
    return _reconcile(settings, argparse.Namespace(date=None))


def _refusal(exc) -> str:
    """An AppError as a line for the terminal, with the field it names where it names one."""
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    return f"{exc.message}：{fields[0]['message']}" if fields else exc.message


def _open311_key(settings: Settings, args: argparse.Namespace) -> int:
    from backend.core.audit import CLI_ACTOR
    from backend.core.errors import AppError
    from backend.repairs.service import open311_keys

    try:
        if args.list:
            keys = asyncio.run(_with_runtime(settings, lambda rt: open311_keys.list_keys()))
            for key in keys:
                state = "有效" if key["is_active"] else "已吊销"
                print(
                    f"#{key['id']}  {key['name']}  {key['person_name']}（{key['employee_no']}）  {state}  "
                    f"{key['created_at'][:16].replace('T', ' ')}"
                )
            if not keys:
                print("还没有签发过 Open311 密钥。")
        elif args.revoke is not None:
            key = asyncio.run(_with_runtime(settings, lambda rt: open311_keys.revoke_key(CLI_ACTOR, args.revoke)))
            print(f"已吊销 Open311 密钥 #{key['id']}（{key['name']}），使用它的请求从现在起一律拒绝。")
        else:
            key, api_key = asyncio.run(
                _with_runtime(
                    settings, lambda rt: open311_keys.issue_key(CLI_ACTOR, rt.cipher, args.name, args.employee_no)
                )
            )
            print(f"已签发 Open311 密钥 #{key['id']}（{key['name']}），报修以工号 {args.employee_no} 的名义登记。")
            print(f"密钥（只显示这一次，请妥善保存）：{api_key}")
    except AppError as exc:
        print(f"操作失败：{_refusal(exc)}", file=sys.stderr)
        return 1
    return 0


def _collect(settings: Settings, args: argparse.Namespace) -> int:
    """The meter collector as its own process (production sets ENERGY_COLLECT_IN_WORKER=0 so the
    job worker leaves collecting to it): one slot with --once, else every slot until stopped."""
    import signal

    from backend.core.timeutil import now
    from backend.core.web.observability import configure_logging
    from backend.energy.service import collect
    from backend.modules import settings_of

    configure_logging(settings.log_level, settings.log_format)
    energy = settings_of(settings, "energy")

    async def work(runtime) -> int:
        if args.once:
            print(await collect.collect_once(now(), energy, runtime.cipher))
            return 0
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        print(f"能耗采集已启动：每 {energy.poll_minutes} 分钟采集一次，Ctrl+C 停止。", flush=True)
        await collect.run_forever(energy, runtime.cipher, stop)
        print("能耗采集已停止。")
        return 0

    return asyncio.run(_with_runtime(settings, work))


def _taskiq(*args: str) -> None:
    taskiq = shutil.which("taskiq", path=os.path.dirname(sys.executable)) or shutil.which("taskiq")
    if taskiq is None:
        raise SystemExit("taskiq is not installed in this environment")
    os.execv(taskiq, [taskiq, *args])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="houqin", description="机关事务后勤服务平台")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="迁移、首次启动时写入演示数据，然后启动 HTTP 服务（make run）")
    commands.add_parser("serve", help="启动 HTTP 服务")
    commands.add_parser("migrate", help="执行数据库迁移")
    create_admin = commands.add_parser("create-admin", help="创建超级管理员，或重置已有管理员的密码")
    create_admin.add_argument("--username", required=True)
    create_admin.add_argument("--name", default="系统管理员")
    create_admin.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    create_admin.add_argument(
        "--reset-password", action="store_true", help="重置这位已有管理员的密码（忘记密码时用），并结束其全部登录"
    )
    seed_demo = commands.add_parser("seed-demo", help="写入演示数据")
    seed_demo.add_argument("--if-empty", action="store_true", help="已有管理员时跳过")
    reconcile = commands.add_parser("reconcile", help="对账：检查复式记账与余额的一致性")
    reconcile.add_argument("--date", help="核对食堂日合计的日期 YYYY-MM-DD（默认今天）")
    open311_key = commands.add_parser("open311-key", help="签发、列出或吊销 Open311 接口密钥")
    open311_key.add_argument("--name", help="使用方名称，如 12345热线")
    open311_key.add_argument("--employee-no", help="报修以哪位干部（工号）的名义登记")
    open311_key.add_argument("--revoke", type=int, metavar="ID", help="吊销编号为 ID 的密钥")
    open311_key.add_argument("--list", action="store_true", help="列出全部密钥")
    commands.add_parser("worker", help="启动后台任务进程（生产环境）")
    commands.add_parser("scheduler", help="启动定时任务调度进程（生产环境）")
    collect = commands.add_parser("collect", help="启动能耗采集进程：按 ENERGY_POLL_MINUTES 逐时段读取电表、水表")
    collect.add_argument("--once", action="store_true", help="只采集当前时段一次，然后退出")
    pg_bin_help = "PostgreSQL 客户端程序所在目录（版本不低于服务器，如 /usr/lib/postgresql/15/bin）；默认从 PATH 查找"
    backup_command = commands.add_parser("backup", help="用 pg_dump 备份数据库（不含数据密钥和文件存储，须另行备份）")
    backup_command.add_argument("file", help="备份文件，如 houqin-20260101.dump")
    backup_command.add_argument("--pg-bin", default="", help=pg_bin_help)
    restore_command = commands.add_parser(
        "restore", help="把备份恢复到 DATABASE_URL 指向的新建空数据库，然后迁移并对账"
    )
    restore_command.add_argument("file", help="houqin backup 生成的备份文件")
    restore_command.add_argument("--pg-bin", default="", help=pg_bin_help)
    args = parser.parse_args(argv)

    if args.command == "open311-key" and not (args.list or args.revoke is not None or (args.name and args.employee_no)):
        open311_key.error("签发密钥需要 --name 和 --employee-no（或用 --list、--revoke ID）")

    settings = Settings.from_env()
    if args.command == "run":
        _run(settings)
    elif args.command == "serve":
        _serve(settings)
    elif args.command == "migrate":
        _migrate(settings)
    elif args.command == "create-admin":
        return _create_admin(settings, args)
    elif args.command == "seed-demo":
        _seed_demo(settings, args)
    elif args.command == "reconcile":
        return _reconcile(settings, args)
    elif args.command == "open311-key":
        return _open311_key(settings, args)
    elif args.command == "collect":
        return _collect(settings, args)
    elif args.command == "backup":
        return _backup(settings, args)
    elif args.command == "restore":
        return _restore(settings, args)
    elif args.command in ("worker", "scheduler"):
        if settings.embedded:
            raise SystemExit("内嵌模式下后台任务在服务进程内运行，无需单独启动；生产环境请设置 REDIS_URL")
        if args.command == "worker":
            _taskiq("worker", "backend.core.jobs:broker", "backend.tasks")
        else:
            _taskiq("scheduler", "backend.core.jobs:scheduler", "backend.tasks", "--skip-first-run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
