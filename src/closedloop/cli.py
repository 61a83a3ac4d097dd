"""The ``closedloop`` command."""

from __future__ import annotations

import argparse
import asyncio
import sys

from closedloop.db.migrate import use_closedloop_conf


def _cmd_migrate(args: argparse.Namespace) -> int:
    from closedloop.db.migrate import migrate

    applied = asyncio.run(migrate())
    if applied:
        print(f"已应用 {len(applied)} 个迁移: {', '.join(applied)}")
    else:
        print("数据库已是最新，无需迁移。")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="closedloop", description="closedloop: 工作要点闭环管理")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_cmd_migrate)
    return p


def main(argv: list[str] | None = None) -> int:
    use_closedloop_conf()
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
