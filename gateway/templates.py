"""Rendering of citizen-facing messages from the operator's ``[acks.templates]``.

Templates are ``str.format`` strings with ``{tracking_id}``, ``{status}``, ``{note}``,
``{agency}`` and ``{date}``. Missing values render empty and the resulting double spaces
collapse, so an operator can write ``{note}`` without worrying about empty notes.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.sections import AcksSection
from normalizer.tracking import LENGTH, display, is_valid


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def shown_id(tracking_id: str | None) -> str:
    """A canonical tracking ID in its ``XXXX-XXXX-XXXX`` form; anything else (what a citizen
    typed, quoted back to say it is wrong: ``CEK 12345``) exactly as given."""
    if not tracking_id:
        return ""
    if len(tracking_id) == LENGTH and is_valid(tracking_id):
        return display(tracking_id)
    return tracking_id


class Templates:
    def __init__(self, acks: AcksSection, timezone: str = "Asia/Jakarta") -> None:
        self.acks = acks
        self.tz = ZoneInfo(timezone)

    def status_label(self, status: str) -> str:
        return self.acks.status_labels.get(status, status)

    def render(
        self,
        name: str,
        *,
        tracking_id: str | None = None,
        status: str | None = None,
        note: str | None = None,
        agency: str | None = None,
        at: datetime | None = None,
    ) -> str:
        template = self.acks.templates[name]
        params = _Blank(
            tracking_id=shown_id(tracking_id),
            status=self.status_label(status) if status else "",
            note=note or "",
            agency=agency or "",
            date=at.astimezone(self.tz).strftime("%d/%m/%Y") if at else "",
        )
        return " ".join(template.format_map(params).split())
