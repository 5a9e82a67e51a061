"""Screenshots of the operator console for the README (docs/img/console-*.png).

Starts a real gateway on 127.0.0.1 with a temporary data directory: two SMPP binds (one
to the test SMSC simulator, one to a port where nothing listens, so the overview shows a
failing bind), libgammu's simulated modem, the web and mobile adapters, and a local core
case store that first accepts, then rejects (dead letters), then answers 503 (retrying
forwards). A day of made-up intake fills the chart and one noisy sender is held. Then
Debian's Chromium (headless, through Playwright) logs in and photographs the overview and
the dead-letters page.

Run from the repository root: ``.venv/bin/python scripts/console_screenshots.py``
(``--out DIR`` to write elsewhere). Needs the dev extras and the ``chromium`` package.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from gateway.service import Gateway  # noqa: E402
from normalizer import Channel, Report, Reporter  # noqa: E402
from tests.adapters.sms.sms_harness import sms_overrides  # noqa: E402
from tests.adapters.sms.smsc_sim import SmscSim, free_port  # noqa: E402
from tests.conftest import _merge  # noqa: E402
from tests.console.browser import launch  # noqa: E402
from tests.console.harness import OPERATOR, PASSWORD, console_config, wait_until  # noqa: E402
from tests.fakes.core import FakeCore  # noqa: E402

TEXTS = [
    "Lampu jalan mati di Jl. Merdeka sejak seminggu",
    "Jalan berlubang besar depan pasar Kramat",
    "Sampah belum diangkut tiga hari di RT 04",
    "Pelayanan KTP di kecamatan sangat lambat",
    "Banjir setinggi lutut di perumahan Griya Asri",
    "Pungutan liar di sekolah negeri 12",
    "Air PDAM keruh dan berbau sejak kemarin",
    "Jembatan penyeberangan retak di Jl. Magelang",
]


async def _history(gw: Gateway, now: datetime) -> None:
    """A day of intake, more by SMS than by web, most in office hours."""
    rng = random.Random(1708)
    n = 0
    for hours_ago in range(23, -1, -1):
        hour = now - timedelta(hours=hours_ago)
        busy = 8 <= (hour.hour + 7) % 24 <= 17  # office hours in WIB
        for channel, weight in ((Channel.SMS, 5), (Channel.WEB, 2), (Channel.MOBILE, 1)):
            for _ in range(rng.randint(0, weight * (3 if busy else 1))):
                n += 1
                phone = f"0812{rng.randint(10_000_000, 99_999_999)}"
                report = Report(
                    channel=channel,
                    transport="demo",
                    text=rng.choice(TEXTS) + f" ({n})",
                    received_at=hour - timedelta(minutes=rng.randint(0, 59)),
                    reporter=Reporter(phone=phone),
                )
                await gw.pipeline.submit(report, inbound_key=f"demo:{n}")


async def main(out: Path) -> None:
    logging.disable(logging.CRITICAL)  # the failures staged below are expected
    smsc_port, dead_port = free_port(), free_port()
    smsc = await SmscSim(smsc_port).start()
    core = FakeCore()
    await core.start()
    with tempfile.TemporaryDirectory(prefix="lapor-console-") as tmp:
        tmp_path = Path(tmp)
        overrides = sms_overrides(smsc_port)
        binds = overrides["adapters"]["sms"]["smpp"]["binds"]
        binds.append({**binds[0], "name": "isat", "port": dead_port})
        _merge(
            overrides,
            {
                "gateway": {"log_level": "ERROR"},
                "core": {"url": core.url},
                "flood": {"sender_burst": 2, "sender_per_min": 0.01},
                "adapters": {
                    "web": {"enabled": True, "secret": "demo-web-secret"},
                    "mobile": {"enabled": True, "secret": "demo-mobile-secret"},
                    "sms": {
                        "gammu": {
                            "enabled": True,
                            "modems": [
                                {
                                    "name": "modem-1",
                                    "model": "dummy",
                                    "connection": "none",
                                    "device": str(tmp_path / "modem"),
                                }
                            ],
                        }
                    },
                },
            },
        )
        gw = Gateway(console_config(tmp_path, overrides))
        await gw.start()
        try:
            await smsc.wait_bound()
            now = datetime.now(UTC)
            await _history(gw, now)
            await wait_until(lambda: _settled(gw), wait_s=60)
            # a noisy sender: the third message onwards is held
            for text in ("Jalan rusak", "Jalan rusak parah", "Jalan rusak, tolong!", "Halo?"):
                await smsc.deliver(text.encode(), source_addr="6281355566677")
            core.state.mode = "reject400"
            for text in TEXTS[:3]:
                await gw.pipeline.submit(
                    Report(channel=Channel.WEB, transport="web", text=text),
                    inbound_key=f"dead:{text}",
                )
            await wait_until(lambda: _dead(gw, 3), wait_s=30)
            core.state.mode = "fail503"
            for text in TEXTS[3:5]:
                await gw.pipeline.submit(
                    Report(channel=Channel.MOBILE, transport="app", text=text),
                    inbound_key=f"retry:{text}",
                )
            await wait_until(lambda: _retrying(gw), wait_s=30)
            await asyncio.sleep(2.5)  # the console's health sampling sees the failing bind
            await _shoot(f"http://127.0.0.1:{gw.port}", out)
        finally:
            await gw.stop()
            await core.stop()
            await smsc.stop()


async def _settled(gw: Gateway) -> bool:
    depth: dict[str, Any] = await gw.store.outbox_depth()
    return not depth.get("pending")


async def _dead(gw: Gateway, n: int) -> bool:
    return len(await gw.store.dead_letters(100)) >= n


async def _retrying(gw: Gateway) -> bool:
    return bool(await gw.store.retrying_rows(1))


async def _shoot(base: str, out: Path) -> None:
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{base}/console/login")
        await page.get_by_label("Nama operator").fill(OPERATOR)
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await page.get_by_role("heading", name="Ringkasan").wait_for()
        await page.screenshot(path=str(out / "console-overview.png"), full_page=True)
        await page.goto(f"{base}/console/dead-letters")
        await page.screenshot(path=str(out / "console-dead-letters.png"), full_page=True)
        await browser.close()
    print(f"wrote {out / 'console-overview.png'} and {out / 'console-dead-letters.png'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(out_dir))
