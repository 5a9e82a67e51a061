"""Open-loop HTTP load at a fixed rate, for latency figures without coordinated omission.

wrk (used for throughput) cannot hold a fixed rate, and an aiohttp client costs the machine
several times what the request costs the server. This generator is the small equivalent of
wrk2's ``-R``: every request is pre-built bytes (headers and body written at once, as wrk
does), sent over a fixed pool of keep-alive connections; request *k* is due at
``start + k / rate`` and its latency counts from that moment, so time spent waiting for a
free connection is part of it.
"""

from __future__ import annotations

import asyncio
import time


def build_request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def fixed_rate(
    host: str, port: int, requests: list[bytes], rate: float, connections: int = 64
) -> tuple[list[float], int]:
    """Send *requests* at *rate* per second; returns (latencies in seconds, non-2xx count)."""
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (job := await queue.get()) is not None:
                k, due = job
                writer.write(requests[k])
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - due)
                if not 200 <= status < 300:
                    errors += 1
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open before the clock starts
    start = time.perf_counter()
    for k in range(len(requests)):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((k, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return latencies, errors
