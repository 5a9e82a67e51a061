"""Tiny HTTP servers for benchmarks, run as separate processes.

``bare``: reads the body and answers 201 (the ceiling any aiohttp handler can reach here).
``core``: a fast core case store that accepts every forward.
``graph``: a Graph API that accepts every WhatsApp send (``{"messages": [{"id": ...}]}``).
"""

from __future__ import annotations

import sys

from aiohttp import web


async def bare(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"tracking_id": "000000000000", "status": "received"}, status=201)


async def core(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"case_id": "C"}, status=201)


async def graph(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"messaging_product": "whatsapp", "messages": [{"id": "wamid.B"}]})


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/{tail:.*}", {"bare": bare, "core": core, "graph": graph}[kind])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
