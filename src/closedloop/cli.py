"""The ``closedloop`` command: migrate, serve, import, unit/user set-up."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path

from closedloop.db.migrate import use_closedloop_conf

CLI_ACTOR_NAME = "命令行"


def _cli_actor():
    from closedloop.services.common import Actor

    return Actor(id=None, username="cli", role="admin", display_name=CLI_ACTOR_NAME)


async def _with_db(coro_fn):
    """Run ``coro_fn()`` with migrations applied and the engine prepared."""
    from closedloop.db.engine import close_engine, prepare_engine
    from closedloop.db.migrate import migrate

    await migrate()
    await prepare_engine()
    try:
        return await coro_fn()
    finally:
        await close_engine()


def _fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


def cmd_migrate(args: argparse.Namespace) -> int:
    from closedloop.db.migrate import migrate

    applied = asyncio.run(migrate())
    if applied:
        print(f"已应用 {len(applied)} 个迁移: {', '.join(applied)}")
    else:
        print("数据库已是最新，无需迁移。")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from closedloop.domain.errors import Invalid
    from closedloop.domain.plan_parser import parse_plan
    from closedloop.services import plans

    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _fail(f"文件 {path} 不存在")
    except IsADirectoryError:
        return _fail(f"{path} 是目录，不是文件")
    except OSError as exc:
        return _fail(f"无法读取文件 {path}（{exc.__class__.__name__}）")
    if not raw.strip():
        return _fail(f"文件 {path} 是空的：未找到计划标题、重点工作和工作事项")
    # long documents (a 50-page PDF) take a while: say what is happening on stderr
    progress = (lambda msg: print(msg, file=sys.stderr, flush=True)) if not args.quiet else (lambda msg: None)
    progress(f"读取 {path.name}（{len(raw) // 1024} KB）…")
    try:
        text = plans.read_file(path.name, raw)
    except Invalid as exc:
        return _fail(f"无法读取 {path}：{exc.message}")
    if not text.strip():
        return _fail(f"文件 {path} 是空的：未找到计划标题、重点工作和工作事项")
    progress(f"解析 {len(text)} 字…")
    if args.json:
        parsed = parse_plan(text, default_title=path.stem)
        print(json.dumps(parsed.to_json(), ensure_ascii=False, indent=2))
        if parsed.missing():
            print("；".join(m for _, m in parsed.missing()), file=sys.stderr)
            return 1
        if args.dry_run:
            return 0
    if not args.dry_run:
        progress("保存到数据库…")
    try:
        result = asyncio.run(_with_db(lambda: plans.import_plan(_cli_actor(), text, preview=args.dry_run, filename=path.name)))
    except Invalid as exc:
        return _fail(f"无法导入 {path}：{exc.message}")
    out = sys.stderr if args.json else sys.stdout
    counts = f"{result['goal_count']} 个计划目标，{result['section_count']} 个分项，{result['item_count']} 个事项，{result['item_goal_count']} 个事项目标"
    if result["already_imported"]:
        print(f"该计划已导入过（计划编号 {result['plan_id']}，内容哈希相同），未重复导入。", file=out)
    elif args.dry_run:
        print(f"试导入（未保存）：{result['parsed']['title']}：{counts}", file=out)
    else:
        print(f"已导入计划 {result['plan_id']}「{result['parsed']['title']}」：{counts}", file=out)
    if result.get("doubt_count"):
        print(f"其中 {result['doubt_count']} 个目标值得核对（--json 查看 doubts），可在管理页面或接口中修改。", file=out)
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    """责任分工: match a 分工表's rows to the plan's items and units; preview unless --apply."""
    from closedloop.db.tables import Plan
    from closedloop.domain.errors import DomainError
    from closedloop.services import responsibility

    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _fail(f"无法读取文件 {path}（{exc.__class__.__name__}）")

    async def run():
        plan_id = args.plan
        if plan_id is None:
            latest = await Plan.select(Plan.id).order_by(Plan.id, ascending=False).first()
            if latest is None:
                raise SystemExit(_fail("还没有导入任何计划：请先 closedloop import"))
            plan_id = latest["id"]
        if args.apply:
            return await responsibility.apply(_cli_actor(), plan_id, path.name, raw, create_units=args.create_units)
        return await responsibility.preview(plan_id, path.name, raw)

    try:
        result = asyncio.run(_with_db(run))
    except DomainError as exc:
        return _fail(f"无法导入责任分工 {path}：{exc.message}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"计划 {result['plan_id']}「{result['plan_title']}」：匹配 {len(result['matches'])} 行，未匹配 {len(result['misses'])} 行")
    for m in result["matches"]:
        units = "、".join(u["matched_name"] or f"{u['name']}（未找到）" for u in m["units"]) or "—"
        print(f"  {m['code']} {m['task'][:30]} → 事项 {m['item_code']} {m['item_title'][:20]}：{units}；时限 {m['deadline'] or '—'}")
    for m in result["misses"]:
        print(f"  未匹配：{m['code']} {m['task'][:30]}（{m['reason']}）")
    if result["new_units"]:
        hint = "已新建" if result.get("created_units") else "未找到，加 --create-units 可新建"
        print(f"  单位{hint}：{'、'.join(result['new_units'])}")
    print("已写入（一个事务）。" if result.get("applied") else "这是预览，未写入；确认后加 --apply。")
    return 0


def cmd_unit_add(args: argparse.Namespace) -> int:
    from closedloop.domain.errors import DomainError
    from closedloop.services import org

    try:
        row = asyncio.run(_with_db(lambda: org.create_unit(_cli_actor(), args.name, args.webhook)))
    except DomainError as exc:
        return _fail(exc.message)
    print(f"已新增单位 {row['id']}「{row['name']}」")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from closedloop.domain.errors import DomainError
    from closedloop.services import org

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码：")

    async def run():
        unit_id = None
        if args.unit:
            unit = await org.find_unit(args.unit)
            if unit is None:
                from closedloop.domain.errors import Invalid

                raise Invalid(f"单位「{args.unit}」不存在，请先用 closedloop unit add 新增")
            unit_id = unit["id"]
        return await org.create_user(_cli_actor(), args.name, password, args.role, unit_id, args.display_name or "")

    try:
        row = asyncio.run(_with_db(run))
    except DomainError as exc:
        return _fail(exc.message)
    print(f"已新增用户 {row['id']} {row['username']}（{row['role']}）")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import socket

    import uvicorn

    from closedloop.db.migrate import migrate
    from closedloop.settings import get_settings

    workers = max(1, args.workers)
    if workers > 1 and not get_settings().secret_key:
        # each worker would draw its own CSRF secret: a form served by one would fail on another
        return _fail("多个工作进程需要共同的密钥：请设置 CLOSEDLOOP_SECRET_KEY（例如 openssl rand -hex 32 的输出）后再启动")
    applied = asyncio.run(migrate())
    if applied:
        print(f"已应用 {len(applied)} 个迁移")
    if args.demo:
        from closedloop.demo import load_demo

        info = asyncio.run(load_demo())
        host_for_url = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        base = f"http://{host_for_url}:{args.port}"
        print(info.banner(base), flush=True)
    config = uvicorn.Config(
        "closedloop.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        log_level="info",
        proxy_headers=False,  # the app reads X-Forwarded-For itself, from trusted proxies only
        access_log=not args.no_access_log,
    )
    server = uvicorn.Server(config)
    if workers == 1:
        server.run()
        return 0 if server.started else 1
    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    # accepted sockets inherit the option on Linux: without it small answers wait on Nagle's
    # algorithm against the client's delayed ACK (tens of milliseconds per request)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
    return 0


def _as_of(value: str | None) -> bool:
    """``--as-of DATE``: the command runs as if it were that day (23:59 local time), so an
    operator can replay a day. False when the date is malformed."""
    import datetime as dt

    from closedloop.services.common import Clock, local_zone

    if not value:
        return True
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return False
    Clock.fixed = dt.datetime.combine(day, dt.time(23, 59), tzinfo=local_zone())
    return True


def cmd_scan(args: argparse.Namespace) -> int:
    from closedloop.services import scan

    if not _as_of(args.as_of):
        return _fail("--as-of 应为日期 YYYY-MM-DD")
    report = asyncio.run(_with_db(scan.scan))
    for warning in report.warnings:
        print(warning)
    print(f"扫描完成：{report.summary()}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from closedloop.domain.errors import DomainError
    from closedloop.services import publishing

    if not _as_of(args.as_of):
        return _fail("--as-of 应为日期 YYYY-MM-DD")

    async def run():
        if args.period:
            pub, created = await publishing.publish(args.cadence, args.period)
            return [(pub, created)]
        return [(p, True) for p in await publishing.publish_due(args.cadence)]

    try:
        done = asyncio.run(_with_db(run))
    except DomainError as exc:
        return _fail(exc.message + "".join(f"（{p.message}）" for p in exc.problems))
    if not done:
        print("没有需要发布的晾晒：各期均已发布。")
    for pub, created in done:
        state = "已发布" if created else "已存在，未重复发布"
        print(f"{pub['title']} 第 {pub['edition']} 版{state}；哈希 {pub['content_hash']}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from closedloop.services import publishing

    count, breaks = asyncio.run(_with_db(publishing.verify_chain))
    if breaks:
        print(f"哈希链校验失败：共 {count} 版，{len(breaks)} 处问题：")
        for b in breaks:
            print("  " + b)
        return 1
    print(f"哈希链完整：共 {count} 版晾晒，内容与链接均一致。")
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    import logging

    from closedloop.scheduler.runner import build_scheduler, scheduler_lock
    from closedloop.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    lock = scheduler_lock(get_settings().database_url)
    if lock is None:
        return _fail("本机已有进程在运行该数据库的调度器（web 工作进程或另一个 closedloop scheduler）；如需独立调度器，请以 CLOSEDLOOP_SCHEDULER=off 启动 web 服务")

    async def run():
        from closedloop.db.engine import close_engine, prepare_engine
        from closedloop.db.migrate import migrate

        await migrate()
        await prepare_engine()
        sched = build_scheduler()
        sched.start()
        print("调度器已启动（Ctrl+C 停止）", flush=True)
        try:
            while True:
                await asyncio.sleep(3600)
        finally:
            sched.shutdown(wait=False)
            await close_engine()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="closedloop", description="closedloop：工作要点闭环管理")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    s = sub.add_parser("serve", help="run the web service (migrations applied first)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--demo", action="store_true", help="load the demo data set first")
    s.add_argument("--no-access-log", action="store_true", help="no per-request log lines (when a proxy in front logs them)")
    s.add_argument("--workers", type=int, default=1, help="worker processes on one port (the scheduler runs in one of them)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("import", help="import a plan (工作要点) from .txt/.md (UTF-8 or GB18030), .docx, .pdf or .xlsx")
    s.add_argument("file")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    s.add_argument("--dry-run", action="store_true", help="parse and report, store nothing")
    s.add_argument("--json", action="store_true", help="print the parsed structure as JSON")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("assign", help="import a 责任分工 table (.xlsx/.docx/text): items → units, deadlines; preview unless --apply")
    s.add_argument("file")
    s.add_argument("--plan", type=int, default=None, help="plan id (default: the latest plan)")
    s.add_argument("--apply", action="store_true", help="write the matches (one transaction)")
    s.add_argument("--create-units", action="store_true", help="with --apply: create units named in the table that do not exist")
    s.add_argument("--json", action="store_true", help="print the preview as JSON")
    s.set_defaults(func=cmd_assign)

    s = sub.add_parser("scan", help="run the deadline scan once")
    s.add_argument("--as-of", default=None, help="treat this date (YYYY-MM-DD) as today")
    s.set_defaults(func=cmd_scan)
    s = sub.add_parser("publish", help="publish due 晾晒 editions (or one period)")
    s.add_argument("--cadence", default="weekly", choices=["weekly", "monthly", "quarterly"])
    s.add_argument("--period", default=None, help="e.g. 2024-W15, 2024-05, 2024-Q2")
    s.add_argument("--as-of", default=None, help="treat this date (YYYY-MM-DD) as today")
    s.set_defaults(func=cmd_publish)
    sub.add_parser("verify", help="recompute the publication hash chain").set_defaults(func=cmd_verify)
    sub.add_parser("scheduler", help="run the scheduler as a process of its own").set_defaults(func=cmd_scheduler)

    unit = sub.add_parser("unit", help="units").add_subparsers(dest="unit_command", required=True)
    s = unit.add_parser("add", help="add a unit")
    s.add_argument("name")
    s.add_argument("--webhook", default=None, help="DingTalk/WeCom robot URL")
    s.set_defaults(func=cmd_unit_add)

    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    s = user.add_parser("add", help="add a user")
    s.add_argument("name")
    s.add_argument("--role", required=True, choices=["admin", "supervisor", "lead"])
    s.add_argument("--unit", default=None, help="unit name (required for lead)")
    s.add_argument("--display-name", default=None)
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.set_defaults(func=cmd_user_add)
    return p


def main(argv: list[str] | None = None) -> int:
    use_closedloop_conf()
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
