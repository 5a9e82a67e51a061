"""``lapor-gateway sms inject`` and ``sms sent``: test SMS through libgammu's dummy phone,
declared on the ``sms.gammu`` registry row (see :mod:`adapters.sms.gammu.inject`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from adapters.sms.config import SmsConfig
from adapters.sms.gammu.inject import InjectError, inject, sent_log
from gateway.adapter import Command

_GROUP = "sms"
_GROUP_HELP = "SMS test tools (libgammu dummy modem)"


def _inject_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="sender", required=True, help="sender MSISDN, e.g. 0812...")
    p.add_argument("--modem", help="dummy modem name (default: the first one)")
    p.add_argument("text", help="message text (long texts become a multipart SMS)")


def _inject(sms: SmsConfig, data_dir: Path, args: argparse.Namespace) -> int:
    try:
        files = inject(sms.gammu, data_dir, args.sender, args.text, modem=args.modem)
    except InjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"put {len(files)} SMS part(s) into the simulated modem's inbox; a running gateway "
        "reads it within [adapters.sms.gammu] poll_interval_s (see: lapor-gateway sms sent)"
    )
    return 0


def _sent_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50)


def _sent(sms: SmsConfig, data_dir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = sent_log(sms.gammu, data_dir)[-args.limit :]
    keys = ("at", "modem", "to", "parts", "kind", "tracking_id", "text")
    return [{k: row.get(k) for k in keys} for row in rows]


COMMANDS: tuple[Command[SmsConfig], ...] = (
    Command(
        _GROUP,
        _GROUP_HELP,
        "inject",
        "put an SMS into the dummy modem's inbox",
        _inject_arguments,
        _inject,
    ),
    Command(
        _GROUP,
        _GROUP_HELP,
        "sent",
        "what the gateway sent through dummy modems",
        _sent_arguments,
        _sent,
        rows=True,
    ),
)
