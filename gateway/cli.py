"""``lapor-gateway``: run the gateway and operate it.

Subcommands: ``run``, ``check-config``, ``outbox dead-letters|replay|release``,
``case list|show|set-status``, ``store migrate`` (SQLite to PostgreSQL, no config file
needed). Operator commands open the same SQLite file as the running
gateway (WAL allows it) and go through the same code paths (``case set-status`` is the
same event path as ``POST /v1/core/events``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway import cli_store as ops
from gateway import registry
from gateway.adapter import Command
from gateway.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    pass

EXIT_CONFIG = 2
#: ``run`` could not start (port in use, data dir not writable...); nothing is left running
EXIT_START = 1
Command_ = Callable[[Config, argparse.Namespace], Awaitable[int]]


def _load(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


# -- run ------------------------------------------------------------------------------------


async def _run(config: Config, args: argparse.Namespace) -> int:
    from gateway import heap
    from gateway.config_check import config_warnings
    from gateway.logs import setup_logging
    from gateway.service import Gateway, StartError

    setup_logging(config.gateway.log_level)
    for warning in config_warnings(config, args.config):
        logging.getLogger("gateway.config").warning(warning)
    gw = Gateway(config, config_path=args.config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await gw.start(before_listening=heap.settle)
    except StartError as exc:
        # what had started is stopped already; one line, key first, like a config error
        print(exc, file=sys.stderr, flush=True)
        return EXIT_START
    print(
        f"lapor-gateway listening on http://{config.http.host}:{gw.port}",
        file=sys.stderr,
        flush=True,
    )
    # until SIGTERM/SIGINT, or until a background loop fails (then exit 1 with one line)
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(gw.failed.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()
    await gw.stop()
    if gw.failed.is_set():
        print(gw.failure, file=sys.stderr, flush=True)
        return 1
    return 0


async def _forwarder(config: Config, args: argparse.Namespace) -> int:
    from gateway.forwarder import run_forwarder
    from gateway.logs import setup_logging

    setup_logging(config.gateway.log_level)
    return await run_forwarder(config, args.link_fd)


async def _check_config(config: Config, args: argparse.Namespace) -> int:
    from gateway.config_check import config_warnings

    warnings = config_warnings(config, args.config)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"config OK with {len(warnings)} warning(s)" if warnings else "config OK")
    return 0


# -- doors' subcommands (declared on their registry rows) ---------------------------------


def _door_command(section: str, command: Command[Any]) -> Command_:
    """Run *command* on the config section it declares (no running gateway needed)."""

    async def run(config: Config, args: argparse.Namespace) -> int:
        result = command.run(getattr(config.adapters, section), config.gateway.data_dir, args)
        if isinstance(result, int):
            return result
        ops.print_rows(result, args.json)
        return 0

    return run


def _door_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    groups: dict[str, Any] = {}
    for section, command in registry.commands():
        if command.group not in groups:
            parser = sub.add_parser(command.group, help=command.group_help)
            groups[command.group] = parser.add_subparsers(dest="sub", required=True)
        p = add(
            command.name, _door_command(section, command), groups[command.group], help=command.help
        )
        command.arguments(p)
        if command.rows:
            p.add_argument("--json", action="store_true")


# -- console operators ------------------------------------------------------------------------


def _operator_add(args: argparse.Namespace) -> int:
    """Print the ``[console] operators`` entry for a new operator (nothing is written: the
    config file is the operator's to edit, and the hash is not a secret worth hiding)."""
    import getpass
    import re

    from gateway.console.auth import MIN_PASSWORD_LENGTH, hash_password

    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", args.name):
        print("operator add: NAME is 1-64 of A-Z a-z 0-9 . _ @ -", file=sys.stderr)
        return EXIT_CONFIG
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("operator add: the passwords differ", file=sys.stderr)
            return EXIT_CONFIG
    if len(password) < MIN_PASSWORD_LENGTH:
        print(
            f"operator add: the password needs at least {MIN_PASSWORD_LENGTH} characters",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    print("# add to [console] operators = [ ... ] in the config file:", file=sys.stderr)
    print(f'{{ name = "{args.name}", password_hash = "{hash_password(password)}" }},')
    return 0


def _store_migrate(args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(args))


async def _migrate(args: argparse.Namespace) -> int:
    """``store migrate``: exit 0 once every row is verified in PostgreSQL, 2 for a wrong
    URL, 1 when the copy failed (nothing is lost: the run can be repeated)."""
    from gateway.sections import GatewaySection
    from gateway.store.copy import CopyError, copy_store, summary

    try:
        source = GatewaySection(database=args.source)
        target = GatewaySection(database=args.target)
    except ValueError as exc:
        print(f"store migrate: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if source.is_postgresql or not target.is_postgresql:
        print("store migrate: --from sqlite:///PATH --to postgresql://...", file=sys.stderr)
        return EXIT_CONFIG
    try:
        copied = await copy_store(source.database_path, target.database)
    except (CopyError, OSError) as exc:
        print(f"store migrate: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the database refused: say which error, never the URL
        print(f"store migrate: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(summary(copied))
    return 0


# -- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lapor-gateway", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", type=Path, default=Path("config.toml"), help="config file (default config.toml)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, fn: Command_, parent: Any = sub, **kw: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, **kw)
        p.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="config file")
        p.set_defaults(fn=fn)
        return p

    add("run", _run, help="start every enabled adapter, the relay and the HTTP listener")
    add("check-config", _check_config, help="validate the config; exit 2 listing every problem")
    # started by `run` itself when outbox.core_forwarder = "process"; not for operators
    p = add("forwarder", _forwarder)
    p.add_argument("--link-fd", type=int, required=True, help=argparse.SUPPRESS)

    outbox = sub.add_parser("outbox", help="outbox operations").add_subparsers(
        dest="sub", required=True
    )
    p = add("dead-letters", ops.dead_letters, outbox, help="list rows that gave up")
    p.add_argument("--limit", type=ops.limit_arg, default=100)
    p.add_argument("--json", action="store_true")
    p = add("replay", ops.replay, outbox, help="retry dead letters")
    p.add_argument("ids", nargs="*", type=int, help="outbox IDs (from outbox dead-letters)")
    p.add_argument("--all", action="store_true")
    p = add("release", ops.release, outbox, help="release reports held by flood control")
    p.add_argument("tracking_ids", nargs="*")
    p.add_argument("--all", action="store_true")

    case = sub.add_parser("case", help="reports and the embedded case store").add_subparsers(
        dest="sub", required=True
    )
    p = add("list", ops.case_list, case, help="list reports, newest first")
    p.add_argument("--status")
    p.add_argument("--limit", type=ops.limit_arg, default=50)
    p.add_argument("--json", action="store_true")
    p = add("show", ops.case_show, case, help="show one report (operator view)")
    p.add_argument("tracking_id")
    p = add(
        "set-status", ops.case_set_status, case, help="move a report along (embedded case store)"
    )
    p.add_argument("tracking_id")
    p.add_argument("status")
    p.add_argument("--note")
    p.add_argument("--agency")

    operator = sub.add_parser("operator", help="console operator accounts").add_subparsers(
        dest="sub", required=True
    )
    p = operator.add_parser(
        "add", help="print the [console] operators entry (argon2 hash) for a new operator"
    )
    p.add_argument("name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin, not a prompt"
    )
    p.set_defaults(offline=_operator_add)

    store = sub.add_parser("store", help="the database").add_subparsers(dest="sub", required=True)
    p = store.add_parser("migrate", help="copy a SQLite database into PostgreSQL")
    p.add_argument("--from", dest="source", required=True, help="sqlite:///PATH")
    p.add_argument("--to", dest="target", required=True, help="postgresql://...")
    p.set_defaults(offline=_store_migrate)

    _door_commands(sub, add)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    offline: Callable[[argparse.Namespace], int] | None = getattr(args, "offline", None)
    if offline is not None:  # needs no config file (names its inputs itself)
        return offline(args)
    config = _load(args.config)
    code: int = asyncio.run(args.fn(config, args))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
