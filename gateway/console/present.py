"""How the console shows citizens' data and times: masked identities, never a confidential
text, local times, short ages.

The console is for operators keeping the gateway running, not for case handling: it shows
a reporter only masked (``+62*******7890``), an anonymous reporter not at all, and the text
of a confidential report (and its follow-ups) never. Transport errors are passed through
:func:`normalizer.privacy.scrub` because they may quote an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.flood import sender_keys
from gateway.store.base import HeldReport
from normalizer import Report
from normalizer.privacy import mask_email, mask_phone, scrub

#: characters of a report's text shown in a list
EXCERPT = 80


def mask_identity(key: str) -> str:
    """``phone:+6281234567890`` -> ``+62*******7890``; ``email:``, ``x:``, ``user:`` and
    ``reply:<adapter>:<address>`` keys masked likewise."""
    kind, _, value = key.partition(":")
    if kind == "phone":
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    if kind in {"x", "user"}:
        return f"{kind}:{value[:1]}***"
    if kind == "reply":
        adapter, _, address = value.partition(":")
        return f"{adapter}:{scrub(address) if address else '-'}"
    return "***"


def reporter_label(report: Report) -> str | None:
    """The masked identity to show, or None for an anonymous reporter (nothing shown)."""
    if report.anonymous:
        return None
    keys = report.reporter.identity_keys()
    return ", ".join(mask_identity(k) for k in keys) if keys else "-"


def text_excerpt(report: Report) -> str | None:
    """The start of the text, or None for a confidential report (never shown)."""
    if report.confidential:
        return None
    text = " ".join(report.text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


@dataclass
class HeldSender:
    """One sender's held reports (what "release" of that sender releases)."""

    label: str
    tracking_ids: list[str]
    rows: int
    channels: list[str]
    first_at: datetime


def held_senders(held: list[HeldReport]) -> list[HeldSender]:
    """Held reports grouped by sender (their identities, as flood control counts them)."""
    groups: dict[tuple[str, ...], HeldSender] = {}
    for h in held:
        keys = tuple(sender_keys(h.report))
        group = groups.get(keys) if keys else None
        if group is None:
            label = (
                "anonim"
                if h.report.anonymous
                else (", ".join(mask_identity(k) for k in keys) if keys else "-")
            )
            group = HeldSender(label, [], 0, [], h.report.received_at)
            groups[keys or (h.tracking_id,)] = group
        group.tracking_ids.append(h.tracking_id)
        group.rows += h.held_rows
        if h.report.channel.value not in group.channels:
            group.channels.append(h.report.channel.value)
    return list(groups.values())


class Clock:
    """Times in the gateway's timezone and ages in the operator's language."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)

    def local(self, at: datetime | float | None) -> str:
        if at is None:
            return "-"
        if not isinstance(at, datetime):
            at = datetime.fromtimestamp(at, self.zone)
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    @staticmethod
    def age(seconds: float | None, lang: str) -> str:
        if seconds is None:
            return "-"
        s = int(seconds)
        en = lang == "en"
        if s < 60:
            return f"{s} {'s' if en else 'dtk'}"
        if s < 3600:
            return f"{s // 60} {'min' if en else 'mnt'} {s % 60} {'s' if en else 'dtk'}"
        if s < 86400:
            return f"{s // 3600} {'h' if en else 'j'} {s % 3600 // 60} {'min' if en else 'mnt'}"
        return f"{s // 86400} {'d' if en else 'hr'} {s % 86400 // 3600} {'h' if en else 'j'}"
