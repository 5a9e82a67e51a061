"""The console in a real browser (Debian's Chromium, headless, driven by Playwright)
against a real gateway on 127.0.0.1: the SMPP adapter bound to the SMSC simulator, the
web adapter, and a real local core case store.

What an operator does at 2 a.m.: log in; watch a bind go down and come back on the
overview (refreshed by htmx, no reload); replay a dead letter and see it delivered;
release a held sender. And what must never happen: a POST without the CSRF token going
through, or a confidential text or an unmasked phone number on any page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.adapters.sms.sms_harness import sms_overrides
from tests.adapters.sms.smsc_sim import SmscSim, free_port
from tests.conftest import GatewayHarness, _merge
from tests.console.browser import launch
from tests.console.harness import OPERATOR, PASSWORD, console_config, wait_until
from tests.fakes.core import FakeCore

SECRET_TEXT = "Oknum petugas meminta uang pelicin untuk KTP di kecamatan Sukamaju"
PHONE = "081377788899"
SMS_SENDER = "6281355566677"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await launch(p)
        yield b
        await b.close()


async def log_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/console/")
    await expect(page).to_have_url(re.compile(r"/console/login\?next="))
    await page.get_by_label("Nama operator").fill(OPERATOR)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("heading", name="Ringkasan")).to_be_visible()


async def test_operator_console_in_a_real_browser(
    browser: Browser, gateway_factory: Any, tmp_path: Path, fake_core: FakeCore
) -> None:
    port = free_port()
    smsc = await SmscSim(port).start()
    overrides = sms_overrides(port)
    _merge(
        overrides,
        {
            "core": {"url": fake_core.url},
            "flood": {"sender_burst": 1, "sender_per_min": 0.01},
            "adapters": {"web": {"enabled": True, "secret": "test-web-secret"}},
        },
    )
    fake_core.state.mode = "reject400"  # the first forwards give up: dead letters
    h: GatewayHarness = await gateway_factory(console_config(tmp_path, overrides))
    await smsc.wait_bound()
    _, body = await h.post_signed(
        "/v1/web/reports",
        {"text": SECRET_TEXT, "confidential": True, "reporter": {"phone": PHONE}},
    )
    secret_tid = body["tracking_id"]
    _, body = await h.post_signed("/v1/web/reports", {"text": "Lampu jalan mati di Jl. Merdeka"})
    tid = body["tracking_id"]
    await wait_until(lambda: _dead_count(h, 2))

    page = await browser.new_page()
    base = h.base
    try:
        await log_in(page, base)
        row = page.locator("#adapter-sms-smpp")

        # -- a bind going down and coming back, seen on the overview without a reload --
        await expect(row).to_have_class("up")
        await expect(row.locator(".state")).to_have_text("NYALA")
        await smsc.stop()
        await expect(row).to_have_class("down", timeout=15_000)
        await expect(row.locator(".state")).to_have_text("MATI")
        smsc = await SmscSim(port).start()
        await expect(row).to_have_class("up", timeout=15_000)
        await expect(row).to_contain_text("bound")

        # -- replay a dead letter and see it delivered --
        fake_core.state.mode = "ok"
        await page.get_by_role("link", name="Gagal kirim").first.click()
        await expect(page.get_by_role("heading", name="Gagal kirim")).to_be_visible()
        dead = next(r for r in await h.gw.store.dead_letters(10) if r["tracking_id"] == tid)
        await page.locator(f"#dead-{dead['id']}").get_by_role("button", name="Kirim ulang").click()
        await expect(page.get_by_role("status")).to_contain_text("1 baris dikirim ulang")
        await expect(page.locator(f"#dead-{dead['id']}")).to_have_count(0)
        await page.goto(f"{base}/console/reports?q={tid}")
        state = page.locator(f"#outbox-{dead['id']} .state")
        for _ in range(50):
            if (await state.inner_text()) == "done":
                break
            await page.wait_for_timeout(200)
            await page.reload()
        await expect(state).to_have_text("done")
        assert len(fake_core.state.cases) == 1

        # -- release a held sender --
        assert await smsc.deliver(b"Jalan rusak parah di desa kami", source_addr=SMS_SENDER) == 0
        assert await smsc.deliver(b"Jalan rusak belum diperbaiki", source_addr=SMS_SENDER) == 0
        await wait_until(lambda: h.gw.store.held_reports(10))
        await page.get_by_role("link", name="Pengirim ditahan").click()
        held = page.locator("#held tbody tr")
        await expect(held).to_have_count(1)
        await expect(held).to_contain_text("+62*******6677")
        await held.get_by_role("button", name="Lepaskan").click()
        await expect(page.get_by_role("status")).to_contain_text("baris dilepas")
        await expect(page.locator("#none")).to_have_text("Tidak ada pengirim yang ditahan.")
        assert await h.gw.store.held_reports(10) == []

        # -- a POST without the CSRF token is refused, even with the session cookie --
        resp = await page.request.post(f"{base}/console/dead-letters/replay", form={"all": "1"})
        assert resp.status == 403 and "Permintaan ditolak" in await resp.text()
        assert len(await h.gw.store.dead_letters(10)) == 1  # the confidential one, still dead

        # -- English on request, remembered --
        await page.goto(f"{base}/console/?lang=en")
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        await page.goto(f"{base}/console/?lang=id")

        # -- no confidential text, no unmasked phone number, on any page --
        paths = ["/console/", "/console/dead-letters", "/console/held", "/console/reports"]
        paths += [f"/console/reports/{t}" for t in (secret_tid, tid)]
        for path in paths:
            await page.goto(base + path)
            html = await page.content()
            for secret in ("uang pelicin", "Sukamaju", PHONE, "81377788", "81355566"):
                assert secret not in html, (path, secret)
        await page.goto(f"{base}/console/reports/{secret_tid}")
        await expect(page.locator("dl.report")).to_contain_text("isi tidak ditampilkan")

        # -- every action is in the audit log --
        from gateway.console.audit import AuditLog

        actions = [(e["action"], e["outcome"]) for e in AuditLog(tmp_path / "data").read()]
        for expected in [
            ("login", "ok"),
            ("replay", "ok"),
            ("release", "ok"),
            ("POST /console/dead-letters/replay", "csrf_refused"),
            ("view_report", "ok"),
        ]:
            assert expected in actions, expected
    finally:
        await page.close()
        await smsc.stop()


async def _dead_count(h: GatewayHarness, n: int) -> bool:
    return len(await h.gw.store.dead_letters(10)) >= n
