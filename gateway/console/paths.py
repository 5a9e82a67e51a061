"""Where the console lives and the names its modules share: the mount point, cookies,
request keys, list sizes and the redirect after a POST."""

from __future__ import annotations

from aiohttp import web

from gateway.console.auth import Session

PREFIX = "/console"
SESSION_COOKIE = "lapor_console"
LOGIN_COOKIE = "lapor_console_login"
#: most rows a list page shows
LIST_LIMIT = 200
RECENT_REPORTS = 50
LANG = web.RequestKey("console_lang", str)
SESSION: web.RequestKey[Session | None] = web.RequestKey("console_session")


def see_other(location: str) -> web.Response:
    """303 to *location*: after a POST the browser GETs the page (a reload repeats nothing)."""
    return web.Response(status=303, headers={"Location": location})
