"""Rendering of citizen-facing messages from the operator's ``[acks.templates]``.

Templates are ``str.format`` strings with ``{tracking_id}``, ``{status}``, ``{note}``,
``{agency}`` and ``{date}``. Missing values render empty and the resulting double spaces
collapse, so an operator can write ``{note}`` without worrying about empty notes.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.config import AcksSection
from normalizer.tracking import display


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


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
            tracking_id=display(tracking_id)
            if tracking_id and tracking_id.isdigit()
            else (tracking_id or ""),
            status=self.status_label(status) if status else "",
            note=note or "",
            agency=agency or "",
            date=at.astimezone(self.tz).strftime("%d/%m/%Y") if at else "",
        )
        return " ".join(template.format_map(params).split())
