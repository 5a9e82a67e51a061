"""The WhatsApp door inside the real Gateway: Meta's verification GET, signed POSTs over real
HTTP on 127.0.0.1, real SQLite, the outbox relay sending through a local fake Graph API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fake_graph import FakeGraph
from wa_harness import (
    CITIZEN,
    CITIZEN2,
    NUMBER,
    NUMBER2,
    VERIFY_TOKEN,
    Db,
    envelope,
    merge,
    post_webhook,
    text_msg,
    typed_msg,
)

from adapters.whatsapp.webhook import PATH
from normalizer.tracking import display
from tests.db_view import wait_for

COMPLAINT = "Jalan di depan SDN 3 Sukamaju berlubang besar sejak sebulan, motor sering jatuh"


async def start(gateway_factory: Any, config_factory: Any, graph: FakeGraph, **extra: Any) -> Any:
    from wa_harness import wa_section

    return await gateway_factory(config_factory(wa_section(graph, **extra)))


@pytest.mark.parametrize(
    ("query", "status"),
    [
        pytest.param(
            f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444",
            200,
            id="ok",
        ),
        pytest.param(
            "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", 403, id="wrong-token"
        ),
        pytest.param(
            f"hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1",
            403,
            id="wrong-mode",
        ),
        pytest.param("hub.challenge=1", 403, id="no-token"),
    ],
)
async def test_verification_get(
    graph: FakeGraph, config_factory, gateway_factory, query: str, status: int
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    async with h.session.get(f"{h.base}{PATH}?{query}") as resp:
        assert resp.status == status
        if status == 200:
            assert await resp.text() == "1158201444"


@pytest.mark.parametrize(
    ("sig", "raw", "status", "code"),
    [
        pytest.param("sha256=" + "0" * 64, None, 401, "bad_signature", id="forged"),
        pytest.param("", None, 401, "bad_signature", id="missing"),
        pytest.param(None, b"{not json", 400, "bad_json", id="malformed-json"),
        pytest.param(None, b"[1, 2]", 400, "bad_json", id="not-an-object"),
        pytest.param(None, b'{"object": "page", "entry": []}', 422, "invalid_field", id="object"),
    ],
)
async def test_bad_posts_are_refused_and_store_nothing(
    graph: FakeGraph,
    config_factory,
    gateway_factory,
    db: Db,
    sig: str | None,
    raw: bytes | None,
    status: int,
    code: str,
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    doc = envelope([text_msg("wamid.BAD1", COMPLAINT)])
    got, body = await post_webhook(h, doc, raw=raw, sig=sig)
    assert (got, body["error"]["code"]) == (status, code)
    assert db.reports() == [] and db.outbox() == []
    # the same document correctly signed still goes through afterwards
    got, _ = await post_webhook(h, doc)
    assert got == 200 and len(db.reports()) == 1


async def test_signature_of_another_secret_is_refused(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    got, _ = await post_webhook(h, envelope([text_msg("wamid.X", COMPLAINT)]), secret="other")
    assert got == 401 and db.reports() == []


async def test_oversized_body_is_413(graph: FakeGraph, config_factory, gateway_factory, db: Db):
    h = await start(gateway_factory, config_factory, graph)
    raw = json.dumps(envelope([text_msg("wamid.BIG", "x" * 2_000_000)])).encode()
    got, body = await post_webhook(h, raw=raw)
    assert got == 413 and body["error"]["code"] == "body_too_large"
    assert db.reports() == []


async def test_text_to_report_and_quoted_ack_redelivery_absorbed(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    doc = envelope([text_msg("wamid.HBgM001", COMPLAINT)])
    status, body = await post_webhook(h, doc)
    assert status == 200 and body["outcomes"] == ["report"]
    status, body = await post_webhook(h, doc)  # Meta redelivers
    assert status == 200 and body["outcomes"] == ["repeat"]
    (report,) = db.report_docs()
    assert report["reporter"]["phone"] == "+" + CITIZEN
    assert report["reporter"]["name"] == "Budi Santoso"
    assert report["external_id"] == "wamid.HBgM001"
    await wait_for(lambda: len(graph.texts()) == 1)
    (ack,) = graph.texts()
    assert ack["to"] == CITIZEN and ack["_number"] == NUMBER
    assert ack["context"] == {"message_id": "wamid.HBgM001"}
    assert display(report["tracking_id"]) in ack["text"]["body"]
    await wait_for(lambda: db.outbox()[0]["state"] == "done")
    assert db.outbox()[0]["message_id"] == ack["_id"]
    _, ready = await h.get("/readyz")
    assert ready["adapters"]["whatsapp"]["ok"] is True


async def test_several_entries_numbers_and_messages_in_one_post(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    doc = merge(
        envelope(
            [
                text_msg("wamid.M1", COMPLAINT),
                text_msg(
                    "wamid.M2", "Lampu jalan di Gang Mawar RT 04 mati total tiga minggu", CITIZEN2
                ),
            ]
        ),
        envelope(
            [text_msg("wamid.M3", "Sampah menumpuk di pasar Cikini belum diangkut")], number=NUMBER2
        ),
        envelope([text_msg("wamid.M4", COMPLAINT)], number="999999"),
    )
    status, body = await post_webhook(h, doc)
    assert status == 200
    assert body["outcomes"] == ["report", "report", "report"]
    assert body["skipped"] == ["phone_number_id is not one of ours"]
    assert [r["external_id"] for r in db.reports()] == ["wamid.M1", "wamid.M2", "wamid.M3"]
    await wait_for(lambda: len(graph.texts()) == 3)
    by_quote = {m["context"]["message_id"]: m["_number"] for m in graph.texts()}
    assert by_quote == {"wamid.M1": NUMBER, "wamid.M2": NUMBER, "wamid.M3": NUMBER2}


async def test_malformed_items_are_skipped_the_rest_files(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    bad = {"id": "wamid.NOFROM", "type": "text", "text": {"body": COMPLAINT}}
    status, body = await post_webhook(h, envelope([bad, text_msg("wamid.OK", COMPLAINT)]))
    assert status == 200 and body["outcomes"] == ["report"]
    assert body["skipped"] == ["message without a numeric from"]


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        pytest.param(text_msg("wamid.G1", "Halo selamat pagi min"), "greeting", id="greeting"),
        pytest.param(text_msg("wamid.G2", "Assalamualaikum pak"), "greeting", id="salam"),
        pytest.param(text_msg("wamid.T1", "tes 123"), "test", id="test"),
        pytest.param(text_msg("wamid.T2", "Test test"), "test", id="test-twice"),
        pytest.param(text_msg("wamid.E1", "👍🙏"), "emoji", id="emoji"),
        pytest.param(
            typed_msg(
                "wamid.S1", "sticker", {"mime_type": "image/webp", "id": "9", "animated": False}
            ),
            "sticker",
            id="sticker",
        ),
        pytest.param(
            typed_msg("wamid.R1", "reaction", {"message_id": "wamid.OUT000001", "emoji": "❤️"}),
            "reaction",
            id="reaction",
        ),
        pytest.param(
            {
                "from": CITIZEN,
                "id": "wamid.U1",
                "timestamp": str(int(time.time())),
                "type": "unsupported",
                "errors": [{"code": 131051, "title": "Message type unknown"}],
            },
            "unsupported",
            id="unsupported",
        ),
    ],
)
async def test_non_complaints_get_help_and_are_counted_not_filed(
    graph: FakeGraph, config_factory, gateway_factory, db: Db, message: dict, reason: str
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    status, body = await post_webhook(h, envelope([message]))
    assert status == 200 and body["outcomes"] == ["non_complaint"]
    assert db.reports() == []
    await wait_for(lambda: len(graph.texts()) == 1)
    assert (
        "BANTUAN" in graph.texts()[0]["text"]["body"] or "CEK" in graph.texts()[0]["text"]["body"]
    )
    _, metrics = await h.get("/metrics")
    assert f'lapor_whatsapp_non_complaints_total{{reason="{reason}"}}' in metrics


async def test_greeting_with_a_complaint_is_filed(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    _status, body = await post_webhook(
        h, envelope([text_msg("wamid.H1", "Halo min, " + COMPLAINT)])
    )
    assert body["outcomes"] == ["report"] and len(db.reports()) == 1


async def test_interactive_and_button_replies_are_text(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    doc = envelope(
        [
            typed_msg(
                "wamid.I1",
                "interactive",
                {"type": "button_reply", "button_reply": {"id": "b1", "title": "BANTUAN"}},
            ),
            typed_msg("wamid.I2", "button", {"payload": "x", "text": COMPLAINT}),
        ]
    )
    _status, body = await post_webhook(h, doc)
    assert body["outcomes"] == ["help", "report"]
    assert db.report_docs()[0]["text"] == COMPLAINT


async def test_help_is_the_whatsapp_text_or_the_shared_one(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    await post_webhook(h, envelope([text_msg("wamid.HP1", "BANTUAN")]))
    await wait_for(lambda: len(graph.texts()) == 1)
    assert "Tulis keluhan Anda di sini" in graph.texts()[0]["text"]["body"]


async def test_unknown_help_template_falls_back_to_the_shared_help(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph, help_template="no_such_template")
    status, _ = await post_webhook(h, envelope([text_msg("wamid.HP2", "tes")]))
    assert status == 200
    await wait_for(lambda: len(graph.texts()) == 1)
    assert "kirim ke 1708" in graph.texts()[0]["text"]["body"]


async def test_openapi_lists_the_webhook(graph: FakeGraph, config_factory, gateway_factory):
    h = await start(gateway_factory, config_factory, graph)
    _, spec = await h.get("/openapi.json")
    assert set(spec["paths"][PATH]) == {"get", "post"}
