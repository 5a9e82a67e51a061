"""The console's report pages: search by tracking ID, the newest reports, one report.

Identity is masked on every page and a confidential report's text and follow-ups are never
rendered; opening one report is written to the audit log.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from gateway.console.host import ConsoleHost
from gateway.console.i18n import translate
from gateway.console.paths import LANG, PREFIX, RECENT_REPORTS, see_other
from gateway.console.present import reporter_label, text_excerpt
from normalizer import tracking
from normalizer.privacy import scrub


class Console(Protocol):
    """What the report pages use of :class:`gateway.console.app.Console`."""

    @property
    def host(self) -> ConsoleHost: ...

    def render(
        self, request: web.Request, template: str, *, status: int = 200, **context: Any
    ) -> web.Response: ...

    def refused(
        self, request: web.Request, status: int, message: str, **params: str
    ) -> web.Response: ...

    async def record(
        self, request: web.Request, action: str, outcome: str, target: str | None = None, **kw: Any
    ) -> None: ...


async def reports(console: Console, request: web.Request) -> web.StreamResponse:
    """Search by tracking ID (check digit validated) and the newest reports, masked."""
    lang = request[LANG]
    query = request.query.get("q", "").strip()
    problem: str | None = None
    status = 200
    if query:
        try:
            tid = tracking.parse(query)
        except tracking.InvalidTrackingIdError as exc:
            bad_check = exc.problem is tracking.TrackingIdProblem.BAD_CHECK
            key = "bad_check_digit" if bad_check else "malformed"
            problem, status = translate(lang, key, raw=query[:40]), 400
        else:
            if await console.host.store.status_view(tid) is not None:
                return see_other(f"{PREFIX}/reports/{tid}")
            problem = translate(lang, "not_found", tracking_id=tracking.display(tid))
            status = 404
    rows = []
    for summary in await console.host.store.list_reports(None, RECENT_REPORTS):
        found = await console.host.store.get_report(summary["tracking_id"])
        if found is None:
            continue
        report = found[0]
        rows.append(
            {
                **summary,
                "received": report.received_at,
                "reporter": reporter_label(report),
                "excerpt": text_excerpt(report),
            }
        )
    return console.render(
        request,
        "reports.html",
        status=status,
        page="reports",
        rows=rows,
        q=query,
        flash=problem,
        flash_error=problem is not None,
    )

async def report(console: Console, request: web.Request) -> web.Response:
    """One report: history and outbox rows; never a confidential text or follow-up."""
    lang = request[LANG]
    raw = request.match_info["tracking_id"]
    try:
        tid = tracking.parse(raw)
    except tracking.InvalidTrackingIdError:
        return console.refused(request, 400, "malformed", raw=raw[:40])
    found = await console.host.store.get_report(tid)
    view = await console.host.store.status_view(tid)
    if found is None or view is None:
        return console.refused(request, 404, "not_found", tracking_id=tracking.display(tid))
    report, current = found
    await console.record(request, "view_report", "ok", tid)
    outbox = [
        {k: r[k] for k in ("id", "kind", "target", "state", "attempts", "delivery_state")}
        | {"last_error": scrub(r["last_error"] or "")}
        for r in await console.host.store.outbox_rows(tid)
    ]
    followups = [] if report.confidential else await console.host.store.followups(tid)
    return console.render(
        request,
        "report.html",
        page="reports",
        r=report,
        tid=tid,
        status_now=current,
        view=view,
        reporter=reporter_label(report),
        text=None if report.confidential else report.text,
        followups=followups,
        outbox=outbox,
        lang_name=lang,
    )
