"""The console's aiohttp sub-application, mounted at ``/console`` when ``[console]`` enables it.

Every page but the login form needs a session (a GET without one is redirected to the
login, anything else is 403); every POST carries the session's CSRF token in the hidden
field ``csrf`` or is refused with 403 and an audit line. Actions are the operator
commands' own paths (:func:`gateway.operations.replay_dead_letters`, the store's
``release_held``), each answered with a redirect to the page it came from (so a reload
repeats nothing) and written to the audit log with its outcome.

Pages are Jinja2 templates rendered on the server and readable without JavaScript; the
vendored htmx (``static/``) only swaps pages in place and refreshes the overview.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from gateway.console import reports
from gateway.console.audit import AuditLog
from gateway.console.auth import Access, Lockout, Session
from gateway.console.health import HealthTracker
from gateway.console.host import ConsoleHost
from gateway.console.i18n import COOKIE as LANG_COOKIE
from gateway.console.i18n import LANGS, pick_lang, translate
from gateway.console.overview import build_overview
from gateway.console.paths import (
    LANG,
    LIST_LIMIT,
    LOGIN_COOKIE,
    PREFIX,
    SESSION,
    SESSION_COOKIE,
    see_other,
)
from gateway.console.present import Clock, held_senders
from gateway.operations import NotReplayableError, replay_dead_letters
from gateway.resilience.periodic import Periodic
from normalizer import tracking
from normalizer.privacy import scrub

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Console:
    """The console's state: access rules, audit log, health tracker, templates."""

    def __init__(self, host: ConsoleHost) -> None:
        self.host = host
        self.config = host.config.console
        self.access = Access(self.config)
        self.lockout = Lockout(self.config.lockout)
        self.audit = AuditLog(host.config.gateway.data_dir)
        self.tracker = HealthTracker()
        self.clock = Clock(host.config.gateway.timezone)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    # -- plumbing --------------------------------------------------------------------------

    def secure_cookie(self, request: web.Request) -> bool:
        mode = self.config.cookie_secure
        return mode == "always" or (mode == "auto" and request.secure)

    def set_cookie(
        self, request: web.Request, resp: web.StreamResponse, name: str, value: str, max_age: int
    ) -> None:
        resp.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie(request),
        )

    def render(
        self, request: web.Request, template: str, *, status: int = 200, **context: Any
    ) -> web.Response:
        lang: str = request[LANG]
        context.setdefault("page", "")
        session: Session | None = request.get(SESSION)
        page = self.templates.get_template(template).render(
            lang=lang,
            other_langs=[code for code in LANGS if code != lang],
            t=lambda key, **kw: translate(lang, key, **kw),
            base=PREFIX,
            # the language links reload this page; after a refused POST, the overview
            here=request.path if request.method == "GET" else f"{PREFIX}/",
            operator=session.operator if session else None,
            csrf=self.access.csrf_token(session.nonce) if session else "",
            local=self.clock.local,
            age=lambda s: self.clock.age(s, lang),
            display=tracking.display,
            flash=context.pop("flash", None),
            flash_error=context.pop("flash_error", False),
            **context,
        )
        return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")

    def refused(
        self, request: web.Request, status: int, message: str, **params: str
    ) -> web.Response:
        """A page that only says what was refused (*message* is a catalog key)."""
        return self.render(request, "refused.html", status=status, message=message, params=params)

    async def record(
        self, request: web.Request, action: str, outcome: str, target: str | None = None, **kw: Any
    ) -> None:
        session: Session | None = request.get(SESSION)
        await self.audit.write(
            operator=kw.pop("operator", session.operator if session else None),
            action=action,
            outcome=outcome,
            source=request.remote or "?",
            target=target,
            **kw,
        )

    def flash(self, request: web.Request) -> str | None:
        """The message of a redirect after an action (``?done=replayed&count=3``): a key of
        the catalog and a number, never text from the URL."""
        done = request.query.get("done")
        count = request.query.get("count", "0")
        if done in {"replayed", "released"} and count.isdigit():
            return translate(request[LANG], done, count=int(count))
        return None

    # -- middleware ------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        lang_query = request.query.get("lang")
        request[LANG] = pick_lang(lang_query, request.cookies.get(LANG_COOKIE))
        session = self.access.read(request.cookies.get(SESSION_COOKIE))
        request[SESSION] = session
        public = request.path in (f"{PREFIX}/login",) or request.path.startswith(
            f"{PREFIX}/static/"
        )
        resp: web.StreamResponse
        if session is None and not public:
            if request.method == "GET":
                resp = see_other(f"{PREFIX}/login?next={quote(request.path_qs, safe='/')}")
            else:
                await self.record(request, f"{request.method} {request.path}", "no_session")
                resp = self.refused(request, 403, "csrf_refused")
        elif (
            request.method == "POST"
            and session is not None
            and not await self._csrf_ok(request, session)
        ):
            await self.record(request, f"POST {request.path}", "csrf_refused")
            resp = self.refused(request, 403, "csrf_refused")
        else:
            resp = await handler(request)
        for name, value in _SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        if lang_query in LANGS:
            self.set_cookie(request, resp, LANG_COOKIE, lang_query, 365 * 86400)
        return resp

    async def _csrf_ok(self, request: web.Request, session: Session) -> bool:
        form = await request.post()
        token = form.get("csrf")
        return self.access.csrf_ok(session.nonce, token if isinstance(token, str) else None)

    # -- login -----------------------------------------------------------------------------

    async def login_form(
        self, request: web.Request, *, status: int = 200, **ctx: Any
    ) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        next_path = _safe_next(request.query.get("next"))
        resp = self.render(
            request,
            "login.html",
            status=status,
            login_csrf=self.access.csrf_token("login:" + nonce),
            next=next_path,
            **ctx,
        )
        self.set_cookie(request, resp, LOGIN_COOKIE, nonce, 3600)
        return resp

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        if request[SESSION] is not None:
            return see_other(f"{PREFIX}/")
        return await self.login_form(request)

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        name = str(form.get("name", ""))[:64]
        password = str(form.get("password", ""))
        token = form.get("csrf")
        source = request.remote or "?"
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not self.access.csrf_ok(
            "login:" + nonce, token if isinstance(token, str) else None
        ):
            await self.record(request, "login", "csrf_refused", operator=name)
            return self.refused(request, 403, "csrf_refused")
        wait = self.lockout.locked(name, source)
        if wait > 0:
            await self.record(request, "login", "locked", operator=name)
            minutes = max(1, round(wait / 60))
            return await self.login_form(
                request,
                status=429,
                flash=translate(request[LANG], "login_locked", minutes=minutes),
                flash_error=True,
            )
        if not await self.access.check_password(name, password):
            self.lockout.failed(name, source)
            await self.record(request, "login", "refused", operator=name)
            return await self.login_form(
                request,
                status=401,
                flash=translate(request[LANG], "login_failed"),
                flash_error=True,
            )
        await self.record(request, "login", "ok", operator=name)
        resp = see_other(_safe_next(str(form.get("next", ""))) or f"{PREFIX}/")
        self.set_cookie(
            request, resp, SESSION_COOKIE, self.access.issue(name), int(self.config.session_ttl_s)
        )
        resp.del_cookie(LOGIN_COOKIE, path=PREFIX)
        return resp

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session = request[SESSION]
        if session is not None:  # the middleware lets no POST here without one
            self.access.revoke(session)
        await self.record(request, "logout", "ok")
        resp = see_other(f"{PREFIX}/login")
        resp.del_cookie(SESSION_COOKIE, path=PREFIX)
        return resp

    # -- pages -----------------------------------------------------------------------------

    async def overview(self, request: web.Request) -> web.Response:
        data = await build_overview(self.host, self.tracker)
        return self.render(request, "overview.html", page="overview", o=data)

    async def dead_letters(self, request: web.Request, **ctx: Any) -> web.Response:
        rows = await self.host.store.dead_letters(LIST_LIMIT + 1)
        shown = [{**r, "last_error": scrub(r["last_error"] or "")} for r in rows[:LIST_LIMIT]]
        ctx.setdefault("flash", self.flash(request))
        return self.render(
            request,
            "dead_letters.html",
            page="dead_letters",
            rows=shown,
            cut=len(rows) > LIST_LIMIT,
            limit=LIST_LIMIT,
            **ctx,
        )

    async def replay(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        ids: list[int] | None = None
        if form.get("all") != "1":
            raw = [str(v) for v in form.getall("id", [])]
            if not raw or not all(v.isdigit() for v in raw):
                await self.record(request, "replay", "refused", ",".join(raw)[:200])
                return await self.dead_letters(
                    request,
                    status=400,
                    flash=translate(request[LANG], "bad_ids"),
                    flash_error=True,
                )
            ids = [int(v) for v in raw]
        target = "all" if ids is None else ",".join(map(str, ids))
        try:
            count = await replay_dead_letters(self.host.store, ids)
        except NotReplayableError as exc:
            await self.record(request, "replay", "refused", target, problems=exc.problems)
            return await self.dead_letters(
                request,
                status=409,
                flash=translate(request[LANG], "not_dead", problems="; ".join(exc.problems)),
                flash_error=True,
            )
        await self.record(request, "replay", "ok", target, count=count)
        if count:
            self.host.outbox_changed()
        return see_other(f"{PREFIX}/dead-letters?done=replayed&count={count}")

    async def held(self, request: web.Request) -> web.Response:
        held = await self.host.store.held_reports(LIST_LIMIT + 1)
        return self.render(
            request,
            "held.html",
            page="held",
            senders=held_senders(held[:LIST_LIMIT]),
            cut=len(held) > LIST_LIMIT,
            limit=LIST_LIMIT,
            flash=self.flash(request),
        )

    async def release(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        tids: list[str] | None = None
        if form.get("all") != "1":
            try:
                tids = [tracking.parse(str(v)) for v in form.getall("tracking_id", [])]
            except tracking.InvalidTrackingIdError:
                tids = []
            if not tids:
                await self.record(request, "release", "refused")
                return see_other(f"{PREFIX}/held")
        target = "all" if tids is None else ",".join(tids)
        count = await self.host.store.release_held(tids)
        await self.record(request, "release", "ok", target, count=count)
        if count:
            self.host.outbox_changed()
        return see_other(f"{PREFIX}/held?done=released&count={count}")

    # -- background ------------------------------------------------------------------------

    async def sampling(self, app: web.Application) -> AsyncIterator[None]:
        """Sample adapters' health every 2 s, so "since" is right even between page views."""

        async def sample() -> None:
            self.tracker.sample(self.host.adapters)

        async with Periodic("console-health", sample, 2.0, run_at_start=True):
            yield


def _safe_next(value: str | None) -> str | None:
    """A redirect target after login: a console path only (no open redirect)."""
    if value and value.startswith(f"{PREFIX}/") and "//" not in value and "\\" not in value:
        return value
    return None


def build_console(host: ConsoleHost) -> web.Application:
    """The sub-application to mount at :data:`PREFIX`."""
    console = Console(host)
    app = web.Application(middlewares=[console.middleware])
    app.cleanup_ctx.append(console.sampling)
    app.router.add_get("/login", console.login_page)
    app.router.add_post("/login", console.login)
    app.router.add_post("/logout", console.logout)
    app.router.add_get("/", console.overview)
    app.router.add_get("/dead-letters", console.dead_letters)
    app.router.add_post("/dead-letters/replay", console.replay)
    app.router.add_get("/held", console.held)
    app.router.add_post("/held/release", console.release)
    app.router.add_get("/reports", partial(reports.reports, console))
    app.router.add_get("/reports/{tracking_id}", partial(reports.report, console))
    app.router.add_static("/static", _HERE / "static")
    return app
