"""Tiny HTTP servers for benchmarks, run as separate processes.

``bare``: reads the body and answers 201 (the ceiling any aiohttp handler can reach here).
``core``: a fast core case store that accepts every forward. After ``POST /_record`` it
also notes, per forward, the wall-clock time it first arrived and the reporter's phone
(``GET /_record`` returns them as ``{phone: time}``); before that it does not even parse
the body, so a throughput run pays nothing for it.
``graph``: a Graph API that accepts every WhatsApp send (``{"messages": [{"id": ...}]}``).
"""

from __future__ import annotations

import json
import sys
import time

from aiohttp import web

RECORDED: dict[str, float] | None = None


async def bare(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"tracking_id": "000000000000", "status": "received"}, status=201)


async def core(request: web.Request) -> web.Response:
    body = await request.read()
    if RECORDED is not None:
        arrived = time.time()
        phone = (json.loads(body).get("reporter") or {}).get("phone")
        if phone:
            RECORDED.setdefault(phone, arrived)
    return web.json_response({"case_id": "C"}, status=201)


async def graph(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"messaging_product": "whatsapp", "messages": [{"id": "wamid.B"}]})


async def start_recording(request: web.Request) -> web.Response:
    global RECORDED
    RECORDED = {}
    return web.json_response({})


async def recorded(request: web.Request) -> web.Response:
    return web.json_response(RECORDED or {})


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = web.Application(client_max_size=1 << 20)
    if kind == "core":
        app.router.add_post("/_record", start_recording)
        app.router.add_get("/_record", recorded)
    app.router.add_post("/{tail:.*}", {"bare": bare, "core": core, "graph": graph}[kind])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
