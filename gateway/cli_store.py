"""``lapor-gateway outbox ...`` and ``case ...``: the operator commands that open the store.

They open the same database as the running gateway (SQLite's WAL allows it; PostgreSQL is
shared anyway) and go through the same code paths: ``case set-status`` is the event path of
``POST /v1/core/events``, ``outbox replay`` the console's replay (:mod:`gateway.operations`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway.config import Config

if TYPE_CHECKING:
    from gateway.store import EventResult

EXIT_CONFIG = 2



async def with_pipeline(config: Config, fn: Callable[[Any], Awaitable[int]]) -> int:
    from gateway.pipeline import Pipeline
    from gateway.store.backends import store_for

    store = store_for(config.gateway)
    await store.open()
    try:
        return await fn(Pipeline(store, config))
    finally:
        await store.close()


def print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    if not rows:
        print("(none)")
        return
    keys = list(rows[0].keys())
    print("\t".join(keys))
    for row in rows:
        print("\t".join("" if row[k] is None else str(row[k]) for k in keys))


def say_if_cut(found: int, limit: int, which: str) -> None:
    """Lists stop at --limit; say so (on stderr, so --json output stays one document)."""
    if found > limit:
        print(f"(only the {which} {limit} shown; --limit N shows more)", file=sys.stderr)


def limit_arg(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


async def dead_letters(config: Config, args: argparse.Namespace) -> int:
    async def fn(p: Any) -> int:
        rows = await p.store.dead_letters(args.limit + 1)
        print_rows(rows[: args.limit], args.json)
        say_if_cut(len(rows), args.limit, "oldest")
        return 0

    return await with_pipeline(config, fn)


async def replay(config: Config, args: argparse.Namespace) -> int:
    if not args.all and not args.ids:
        print("give outbox IDs or --all", file=sys.stderr)
        return EXIT_CONFIG

    async def fn(p: Any) -> int:
        from gateway.operations import NotReplayableError, replay_dead_letters

        try:
            count = await replay_dead_letters(p.store, None if args.all else args.ids)
        except NotReplayableError as exc:
            print("\n".join(exc.problems) + "\nnothing replayed", file=sys.stderr)
            return 1
        print(f"replayed {count} dead letter(s); the running gateway delivers them")
        return 0

    return await with_pipeline(config, fn)


async def release(config: Config, args: argparse.Namespace) -> int:
    async def fn(p: Any) -> int:
        ids = None if args.all else [tracking_id_arg(t) for t in args.tracking_ids]
        count = await p.store.release_held(ids)
        print(f"released {count} held outbox row(s)")
        return 0

    return await with_pipeline(config, fn)


def tracking_id_arg(raw: str) -> str:
    from normalizer import tracking

    try:
        return tracking.parse(raw)
    except tracking.InvalidTrackingIdError as exc:
        raise SystemExit(f"{raw}: {exc}") from None


async def case_list(config: Config, args: argparse.Namespace) -> int:
    from gateway.pipeline import REPORT_STATUSES

    if args.status is not None and args.status not in REPORT_STATUSES:
        print(
            f"case list --status: unknown status {args.status!r}; one of "
            + ", ".join(sorted(REPORT_STATUSES)),
            file=sys.stderr,
        )
        return EXIT_CONFIG

    async def fn(p: Any) -> int:
        # one row more than asked tells whether the list was cut
        rows = await p.store.list_reports(args.status, args.limit + 1)
        print_rows(rows[: args.limit], args.json)
        say_if_cut(len(rows), args.limit, "newest")
        return 0

    return await with_pipeline(config, fn)


async def case_show(config: Config, args: argparse.Namespace) -> int:
    from normalizer.tracking import display

    tid = tracking_id_arg(args.tracking_id)

    async def fn(p: Any) -> int:
        found = await p.store.get_report(tid)
        if found is None:
            print(f"{display(tid)}: not found", file=sys.stderr)
            return 1
        report, status = found
        view = await p.store.status_view(tid)
        doc = report.model_dump(mode="json", exclude={"raw"})
        doc["status"] = status
        doc["history"] = [
            {"at": h.at.isoformat(), "status": h.status, "note": h.note} for h in view.history
        ]
        doc["followups"] = await p.store.followups(tid)
        doc["outbox"] = [
            {
                k: r[k]
                for k in (
                    "id",
                    "kind",
                    "target",
                    "state",
                    "attempts",
                    "last_error",
                    "delivery_state",
                )
            }
            for r in await p.store.outbox_rows(tid)
        ]
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0

    return await with_pipeline(config, fn)


async def case_set_status(config: Config, args: argparse.Namespace) -> int:
    from gateway.pipeline import EVENT_STATUSES
    from gateway.store import CoreEvent

    if args.status not in EVENT_STATUSES:
        print(f"status must be one of {', '.join(sorted(EVENT_STATUSES))}", file=sys.stderr)
        return EXIT_CONFIG
    tid = tracking_id_arg(args.tracking_id)

    async def fn(p: Any) -> int:
        result = await p.apply_core_event(
            CoreEvent(
                tracking_id=tid,
                status=args.status,
                at=datetime.now(UTC),
                note=args.note,
                agency=args.agency,
            )
        )
        if not result.known:
            print("not found", file=sys.stderr)
            return 1
        print(event_outcome(args.status, result))
        return 0

    return await with_pipeline(config, fn)


_SILENT_BECAUSE = {
    "not_notified_status": "{status} is not in acks.notify_statuses",
    "opted_out": "they opted out of status updates",
    "no_reply_address": "the report has no address to answer (anonymous, or a channel "
    "without replies)",
}


def event_outcome(status: str, result: EventResult) -> str:
    """What ``case set-status`` did, as it happened."""
    if not result.applied:
        return f"{status} at this time is already recorded; nothing changed"
    if not result.current:
        return f"{status} recorded in the history; a newer status stands, the citizen is not told"
    if result.notified:
        return f"status set to {status}; the citizen is told on their channel (outbox)"
    why = _SILENT_BECAUSE.get(result.silent, result.silent).format(status=status)
    return f"status set to {status}; the citizen is not told: {why}"
