"""Security checks across the whole gateway.

* every signed door refuses unsigned or wrongly signed requests with the default config,
  and switching a signature off is announced loudly (WARNING) at start;
* secrets and signatures are compared in constant time (``hmac.compare_digest``), checked
  on the source: every verifier calls it and no digest is compared with ``==``;
* the public status views (``GET /v1/reports/{id}``, Open311 lookups, an SMS ``CEK`` from
  someone else's phone, ``/metrics``) show neither the identity of an anonymous reporter nor
  the text of a confidential report, whatever channel it came in by.

The X webhook always verifies its signature (there is no switch; see
``tests/adapters/twitter/test_x_gateway.py`` for its CRC and signature tests), and the log
check of a full run is ``tests/system/test_log_privacy.py``.
"""

from __future__ import annotations

import ast
import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters import signing
from adapters.mobile.config import MobileConfig
from adapters.twitter.config import TwitterConfig
from adapters.web.config import WebConfig
from tests.adapters.sms.sms_harness import sms_overrides
from tests.adapters.sms.smsc_sim import SmscSim
from tests.conftest import CORE_EVENTS_SECRET, MOBILE_SECRET, WEB_SECRET, GatewayHarness

ROOT = Path(__file__).resolve().parents[2]
OPEN311_KEY = "sec-open311-key"
OPEN311 = {
    "enabled": True,
    "api_keys": [OPEN311_KEY],
    "lookup_rate_per_min": 1000,
    "services": [{"service_code": "JALAN", "service_name": "Jalan rusak"}],
}
MOBILE = {"enabled": True, "secret": MOBILE_SECRET}
SIGNED_DOORS = [
    pytest.param("/v1/web/reports", WEB_SECRET, id="web"),
    pytest.param("/v1/mobile/reports", MOBILE_SECRET, id="mobile"),
    pytest.param("/v1/core/events", CORE_EVENTS_SECRET, id="core-events"),
]


# -- signatures on by default -------------------------------------------------------------


def test_signature_switches_default_to_on() -> None:
    assert WebConfig().require_signature is True
    assert MobileConfig().require_signature is True
    assert not [f for f in TwitterConfig.model_fields if "signature" in f], (
        "the X webhook must not get a switch to skip its signature"
    )


@pytest.fixture
async def full(
    gateway_factory: Callable[..., Any], config_factory: Callable[..., Any]
) -> GatewayHarness:
    h: GatewayHarness = await gateway_factory(
        config_factory({"adapters": {"mobile": MOBILE, "open311": OPEN311}})
    )
    return h


@pytest.mark.parametrize(("path", "secret"), SIGNED_DOORS)
async def test_signed_doors_refuse_unsigned_and_forged(
    full: GatewayHarness, path: str, secret: str
) -> None:
    body = {"text": "Jalan rusak parah di depan pasar", "device_id": "d", "app_version": "1"}
    raw = json.dumps(body).encode()
    async with full.session.post(full.base + path, data=raw) as r:
        assert r.status == 401, path
    for forged in ("wrong-secret", secret + "x"):
        status, doc = await full.post_signed(path, body, secret=forged)
        assert status == 401 and doc["error"]["code"] == "bad_signature", (path, forged)
    # a valid signature, but over another body than the one sent
    headers = signing.signed_headers(secret.encode(), raw)
    async with full.session.post(full.base + path, data=raw + b" ", headers=headers) as r:
        assert r.status == 401, path


@pytest.mark.parametrize("door", ["web", "mobile"])
async def test_switching_a_signature_off_warns_at_start(
    gateway_factory: Callable[..., Any],
    config_factory: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    door: str,
) -> None:
    section = {"web": {"secret": WEB_SECRET}, "mobile": MOBILE}[door]
    overrides = {"adapters": {door: {**section, "enabled": True, "require_signature": False}}}
    with caplog.at_level(logging.WARNING):
        h: GatewayHarness = await gateway_factory(config_factory(overrides))
    loud = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and "SECURITY" in r.getMessage()
        and f"adapters.{door}.require_signature" in r.getMessage()
    ]
    assert loud, [r.getMessage() for r in caplog.records]
    # and the switch is real: an unsigned report is accepted on that door only
    body: dict[str, Any] = {"text": "Tanpa tanda tangan: lampu jalan mati"}
    if door == "mobile":
        body.update(device_id="d1", app_version="1.0")
    async with h.session.post(f"{h.base}/v1/{door}/reports", json=body) as r:
        assert r.status == 201


async def test_no_warning_with_signatures_on(
    gateway_factory: Callable[..., Any],
    config_factory: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        await gateway_factory(config_factory({"adapters": {"mobile": MOBILE}}))
    assert not [r for r in caplog.records if "require_signature" in r.getMessage()]


# -- constant-time comparisons ------------------------------------------------------------

VERIFIERS = [
    pytest.param("adapters/signing.py", id="lapor-signature"),
    pytest.param("adapters/twitter/webhook.py", id="x-webhook-signature"),
    pytest.param("adapters/telegram/webhook.py", id="telegram-webhook-secret"),
    pytest.param("adapters/whatsapp/webhook.py", id="whatsapp-webhook-signature"),
    pytest.param("adapters/open311/adapter.py", id="open311-api-key"),
]
_SECRETISH = {"expected", "sig", "signature", "mac", "digest", "token", "api_key", "secret"}


def _calls(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                names.add(f"{f.value.id}.{f.attr}")
    return names


@pytest.mark.parametrize("module", VERIFIERS)
def test_verifier_uses_compare_digest(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text())
    assert "hmac.compare_digest" in _calls(tree), module


def _secretish(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return name in {"hexdigest", "digest", "sign", "signature"}
    if isinstance(node, ast.Name):
        return node.id in _SECRETISH
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_") in _SECRETISH
    return False


def test_no_secret_or_digest_is_compared_with_equals() -> None:
    offenders = []
    for folder in ("adapters", "gateway", "outbox", "normalizer"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Compare) and any(
                    isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
                ):
                    operands = [node.left, *node.comparators]
                    constant = any(isinstance(o, ast.Constant) for o in operands)
                    if not constant and any(_secretish(o) for o in operands):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "use hmac.compare_digest: " + ", ".join(offenders)


# -- public status views leak nothing ---------------------------------------------------

PHONE = "081311122233"
E164 = "+6281311122233"
EMAIL = "siti.rahasia@example.id"
NAME = "Siti Nurhaliza"
#: a different complaint per channel (the same words would be one report, linked by level-2
#: dedup); each carries a word that must never show publicly
COMPLAINTS = {
    "web": "kepala desa minta uang pelicin untuk sertifikat tanah",
    "mobile": "petugas puskesmas menjual obat gratis kepada warga miskin",
    "open311": "kontraktor jalan memakai aspal tipis dan menggelembungkan anggaran",
    "sms": "guru honorer dipotong gajinya oleh kepala sekolah tiap bulan",
}
SECRET_WORDS = ["pelicin", "puskesmas", "kontraktor", "honorer"]


ASKER = "6285700011122"


async def _nth_reply_to(smsc: SmscSim, dest: str, n: int, wait_s: float = 5.0) -> Any:
    async with asyncio.timeout(wait_s):
        while True:
            to_dest = [x for x in smsc.submitted if x.destination_addr == dest and x.status == 0]
            if len(to_dest) >= n:
                return to_dest[n - 1]
            await asyncio.sleep(0.02)


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSim]:
    sim = await SmscSim().start()
    yield sim
    await sim.stop()


async def _file_everywhere(h: GatewayHarness, smsc: SmscSim) -> dict[str, str]:
    """One anonymous + confidential report per channel; returns channel -> tracking ID."""
    ids: dict[str, str] = {}
    reporter = {"name": NAME, "phone": PHONE, "email": EMAIL}
    web = {"text": COMPLAINTS["web"], "reporter": reporter}
    web.update(anonymous=True, confidential=True)
    status, doc = await h.post_signed("/v1/web/reports", web)
    assert status == 201, doc
    ids["web"] = doc["tracking_id"]
    mobile = {**web, "text": COMPLAINTS["mobile"], "device_id": "hp-1", "app_version": "2"}
    status, doc = await h.post_signed("/v1/mobile/reports", mobile, secret=MOBILE_SECRET)
    assert status == 201, doc
    ids["mobile"] = doc["tracking_id"]
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "JALAN",
        "address_string": "Jl. Kenanga 7",
        "description": COMPLAINTS["open311"],
        "first_name": "Siti",
        "last_name": "Nurhaliza",
        "email": EMAIL,
        "phone": PHONE,
        "attribute[anonymous]": "true",
        "attribute[confidential]": "true",
    }
    async with h.session.post(
        f"{h.base}/open311/v2/requests.json",
        data=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as r:
        text = await r.text()
        assert r.status in (200, 201), text
        ids["open311"] = json.loads(text)[0]["service_request_id"]
    sms = f"RAHASIA ANONIM {COMPLAINTS['sms']}".encode()
    assert await smsc.deliver(sms, source_addr=E164[1:]) == 0
    rows = await h.gw.store.list_reports(None, 10)
    ids["sms"] = next(r["tracking_id"] for r in rows if r["channel"] == "sms")
    assert len(set(ids.values())) == 4 and all(r["duplicate_of"] is None for r in rows)
    assert all(r["anonymous"] and r["confidential"] for r in rows), rows
    return ids


async def test_public_views_show_no_identity_and_no_confidential_text(
    gateway_factory: Callable[..., Any], config_factory: Callable[..., Any], smsc: SmscSim
) -> None:
    overrides = sms_overrides(smsc.port)
    overrides["adapters"].update(mobile=MOBILE, open311=OPEN311)
    h: GatewayHarness = await gateway_factory(config_factory(overrides))
    adapter = h.gw.adapters["sms.smpp"]
    await adapter.wait_bound()  # type: ignore[attr-defined]
    ids = await _file_everywhere(h, smsc)
    needles = [PHONE, E164, E164[1:], PHONE[1:], EMAIL, "Siti", "Nurhaliza", *SECRET_WORDS]
    seen: list[tuple[str, str]] = []
    asked = 0
    for channel, tid in ids.items():
        status, doc = await h.get(f"/v1/reports/{tid}")
        assert status == 200, doc
        seen.append((f"{channel} status view", json.dumps(doc)))
        for fmt in ("json", "xml"):
            async with h.session.get(f"{h.base}/open311/v2/requests/{tid}.{fmt}") as r:
                seen.append((f"{channel} open311 {fmt}", await r.text()))
        # someone else asks by SMS
        asked += 1
        assert await smsc.deliver(f"CEK {tid}".encode(), source_addr=ASKER) == 0
        reply = await _nth_reply_to(smsc, ASKER, asked)
        seen.append((f"{channel} SMS CEK", reply.short_message.decode("latin-1")))
    status, metrics_text = await h.get("/metrics")
    seen.append(("metrics", str(metrics_text)))
    leaks = [(where, n) for where, text in seen for n in needles if n in text]
    assert leaks == [], leaks
    # the views did find the reports (a 404 everywhere would leak nothing, too)
    assert all("received" in text or "open" in text for where, text in seen if "status" in where)
