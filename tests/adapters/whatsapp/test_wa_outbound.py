"""Outbound on the WhatsApp door and what comes back: the 24-hour window and templates,
error 131047 on the send and in a status webhook, rate limits, delivery receipts, status
updates from ``POST /v1/core/events``; plus media, locations, keywords, and one reporter
across SMS and WhatsApp. Real gateway, real SQLite, fake Graph API on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fake_graph import FakeGraph
from wa_harness import (
    CITIZEN,
    NUMBER,
    Db,
    envelope,
    post_webhook,
    status_item,
    text_msg,
    typed_msg,
    wa_section,
)

from adapters.sms.config import SmsConfig
from adapters.sms.conversation import InboundSms, SmsConversation
from normalizer.tracking import display
from tests.conftest import CORE_EVENTS_SECRET
from tests.db_view import wait_for

COMPLAINT = "Jalan di depan SDN 3 Sukamaju berlubang besar sejak sebulan, motor sering jatuh"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4


async def start(gateway_factory: Any, config_factory: Any, graph: FakeGraph, **extra: Any) -> Any:
    return await gateway_factory(config_factory(wa_section(graph, **extra)))


async def core_event(h: Any, tracking_id: str, status: str, note: str = "") -> int:
    doc = {
        "tracking_id": tracking_id,
        "status": status,
        "at": datetime.now(UTC).isoformat(),
        "note": note or None,
        "event_id": f"ev-{tracking_id}-{status}",
    }
    code, _ = await h.post_signed("/v1/core/events", doc, secret=CORE_EVENTS_SECRET)
    return int(code)


async def file_one(h: Any, graph: FakeGraph, db: Db, wamid: str, at: float | None = None) -> str:
    status, body = await post_webhook(h, envelope([text_msg(wamid, COMPLAINT, at=at)]))
    assert status == 200 and body["outcomes"] == ["report"], body
    await wait_for(lambda: len(graph.sent) >= 1)
    return str(db.reports()[-1]["tracking_id"])


async def test_core_status_update_reaches_the_citizen_as_text_inside_the_window(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    tid = await file_one(h, graph, db, "wamid.W1")
    assert await core_event(h, tid, "closed", "Jalan sudah ditambal") == 200
    await wait_for(lambda: len(graph.sent) == 2)
    update = graph.sent[1]
    assert update["type"] == "text"
    assert display(tid) in update["text"]["body"] and "selesai" in update["text"]["body"]


async def test_status_update_outside_the_window_goes_as_the_template(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    # the citizen's last message is 25 hours old (Meta delivered it late, or they wrote
    # long ago): the ack itself already needs a template ("default")
    tid = await file_one(h, graph, db, "wamid.OLD", at=time.time() - 25 * 3600)
    assert graph.sent[0]["type"] == "template"
    assert graph.sent[0]["template"]["name"] == "lapor_pesan"
    assert await core_event(h, tid, "closed") == 200
    await wait_for(lambda: len(graph.sent) == 2)
    template = graph.sent[1]
    assert template["type"] == "template" and "context" not in template
    assert template["template"]["name"] == "lapor_status_update"
    assert template["template"]["language"] == {"code": "id"}
    params = template["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": display(tid)}, {"type": "text", "text": "selesai"}]


async def test_outside_the_window_without_a_template_tries_text_and_dead_letters_on_131047(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    graph.fail("text", 400, 131047)
    h = await start(gateway_factory, config_factory, graph, templates={})
    await post_webhook(h, envelope([text_msg("wamid.OLD2", COMPLAINT, at=time.time() - 90_000)]))
    await wait_for(lambda: db.outbox()[0]["state"] == "dead")
    assert "131047" in db.outbox()[0]["last_error"] and graph.sent == []
    assert graph.calls == [("text", NUMBER)]


async def test_131047_on_the_send_sends_the_template_instead(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    graph.fail("text", 400, 131047)
    h = await start(gateway_factory, config_factory, graph)
    await post_webhook(h, envelope([text_msg("wamid.RE1", COMPLAINT)]))
    await wait_for(lambda: len(graph.sent) == 1)
    assert graph.calls == [("text", NUMBER), ("template", NUMBER)]
    assert graph.sent[0]["template"]["name"] == "lapor_pesan"
    await wait_for(lambda: db.outbox()[0]["state"] == "done")
    assert db.outbox()[0]["message_id"] == graph.sent[0]["_id"]


async def test_131047_in_a_failed_status_queues_the_template_once(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    tid = await file_one(h, graph, db, "wamid.RE2")
    assert await core_event(h, tid, "closed") == 200
    await wait_for(lambda: len(graph.sent) == 2)
    update = graph.sent[1]
    failed = status_item(
        update["_id"], "failed", errors=[131047], opaque=update["biz_opaque_callback_data"]
    )
    doc = envelope(statuses=[failed])
    status, body = await post_webhook(h, doc)
    assert status == 200 and body["outcomes"] == ["reengage_queued"]
    await post_webhook(h, doc)  # redelivered: no second template
    await wait_for(lambda: len(graph.templates()) == 1)
    template = graph.templates()[0]
    assert template["to"] == CITIZEN and template["_number"] == NUMBER
    assert template["template"]["name"] == "lapor_status_update"
    params = template["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": display(tid)}, {"type": "text", "text": "selesai"}]
    rows = db.outbox()
    assert [r["delivery_state"] for r in rows][:2] == [None, "failed"]
    await wait_for(lambda: db.outbox()[-1]["state"] == "done")
    assert len(db.outbox()) == 3 and len(graph.sent) == 3


async def test_statuses_become_delivery_receipts(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    await file_one(h, graph, db, "wamid.D1")
    await wait_for(lambda: db.outbox()[0]["state"] == "done")
    wamid = graph.sent[0]["_id"]
    for state in ("sent", "delivered", "read"):
        status, body = await post_webhook(h, envelope(statuses=[status_item(wamid, state)]))
        assert status == 200 and body["outcomes"] == [f"status_{state}"]
        assert db.outbox()[0]["delivery_state"] == state
    # a status for a message we never sent is recorded nowhere and still answered 200
    status, _ = await post_webhook(h, envelope(statuses=[status_item("wamid.NOPE", "read")]))
    assert status == 200


async def test_rate_limit_is_retried_later_and_delivered(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    graph.fail("text", 400, 130429, times=2)
    h = await start(gateway_factory, config_factory, graph)
    await post_webhook(h, envelope([text_msg("wamid.RL1", COMPLAINT)]))
    await wait_for(lambda: len(graph.sent) == 1)
    row = db.outbox()[0]
    await wait_for(lambda: db.outbox()[0]["state"] == "done")
    assert db.outbox()[0]["attempts"] >= 1 and row is not None
    assert [c[0] for c in graph.calls] == ["text", "text", "text"]


async def test_rejected_token_marks_readyz(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    graph.token = "another-token"
    h = await start(gateway_factory, config_factory, graph)
    await post_webhook(h, envelope([text_msg("wamid.AU1", COMPLAINT)]))
    await wait_for(lambda: db.outbox()[0]["attempts"] >= 1)
    status, ready = await h.get("/readyz")
    assert status == 503 and ready["adapters"]["whatsapp"]["ok"] is False
    assert "wa-test-access-token" not in json.dumps(ready)


async def test_photo_with_caption_is_downloaded_and_stored(
    graph: FakeGraph, config_factory, gateway_factory, db: Db, tmp_path: Path
) -> None:
    graph.add_media("778899", JPEG, "image/jpeg")
    h = await start(gateway_factory, config_factory, graph)
    msg = typed_msg(
        "wamid.P1",
        "image",
        {"caption": COMPLAINT, "mime_type": "image/jpeg", "sha256": "x", "id": "778899"},
    )
    _status, body = await post_webhook(h, envelope([msg]))
    assert body["outcomes"] == ["report"]
    (report,) = db.report_docs()
    digest = hashlib.sha256(JPEG).hexdigest()
    assert report["attachments"] == [
        {
            "url": f"attachment://{digest}",
            "content_type": "image/jpeg",
            "sha256": digest,
            "size": len(JPEG),
        }
    ]
    assert (tmp_path / "data" / "attachments" / f"{digest}.jpg").read_bytes() == JPEG


async def test_photo_that_cannot_be_fetched_still_files_with_its_media_id(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    graph.add_media("445566", JPEG, "image/jpeg")
    graph.fail("download", 503, 0)
    h = await start(gateway_factory, config_factory, graph)
    msg = typed_msg(
        "wamid.P2", "image", {"caption": COMPLAINT, "mime_type": "image/jpeg", "id": "445566"}
    )
    await post_webhook(h, envelope([msg]))
    (report,) = db.report_docs()
    assert report["attachments"][0]["url"] == "whatsapp-media:445566"


async def test_bare_photo_then_text_is_one_report_with_the_photo(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    graph.add_media("112233", JPEG, "image/jpeg")
    h = await start(gateway_factory, config_factory, graph)
    photo = typed_msg("wamid.P3", "image", {"mime_type": "image/jpeg", "id": "112233"})
    _, body = await post_webhook(h, envelope([photo, text_msg("wamid.P4", COMPLAINT)]))
    assert body["outcomes"] == ["media_pending", "report"]
    (report,) = db.report_docs()
    assert report["attachments"][0]["sha256"] == hashlib.sha256(JPEG).hexdigest()


async def test_location_before_the_complaint_becomes_its_location(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    place = typed_msg(
        "wamid.L1",
        "location",
        {
            "latitude": -6.200000,
            "longitude": 106.816666,
            "name": "SDN 3 Sukamaju",
            "address": "Jl. Merdeka 5",
        },
    )
    _, body = await post_webhook(h, envelope([place]))
    assert body["outcomes"] == ["location_pending"] and db.reports() == []
    _, body = await post_webhook(h, envelope([text_msg("wamid.L2", COMPLAINT)]))
    (report,) = db.report_docs()
    assert report["location"]["lat"] == -6.2 and report["location"]["lon"] == 106.816666
    assert report["location"]["address"] == "SDN 3 Sukamaju, Jl. Merdeka 5"


async def test_location_after_the_complaint_joins_it(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    tid = await file_one(h, graph, db, "wamid.L3")
    place = typed_msg("wamid.L4", "location", {"latitude": -6.2, "longitude": 106.8})
    _, body = await post_webhook(h, envelope([place]))
    assert body["outcomes"] == ["location_followup"]
    (followup,) = db.followups()
    assert followup["tracking_id"] == tid and "-6.200000,106.800000" in followup["text"]
    await wait_for(lambda: len(graph.sent) == 2)
    assert "Tambahan informasi" in graph.sent[1]["text"]["body"]
    assert display(tid) in graph.sent[1]["text"]["body"]
    _, body = await post_webhook(h, envelope([place]))  # redelivered: no second answer
    assert body["outcomes"] == ["location_followup"] and len(db.followups()) == 1
    await wait_for(lambda: db.outbox()[-1]["state"] == "done")
    assert len(graph.sent) == 2


async def test_keywords_status_confidential_and_stop(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    _, body = await post_webhook(h, envelope([text_msg("wamid.K1", "RAHASIA " + COMPLAINT)]))
    (report,) = db.report_docs()
    assert report["confidential"] is True and report["text"] == COMPLAINT
    tid = report["tracking_id"]
    _, body = await post_webhook(
        h,
        envelope(
            [
                text_msg("wamid.K2", f"cek {display(tid).lower()}"),
                text_msg("wamid.K3", "BANTUAN"),
                text_msg("wamid.K4", "STOP"),
            ]
        ),
    )
    assert body["outcomes"] == ["status", "help", "opt_out"]
    await wait_for(lambda: len(graph.sent) == 4)
    assert display(tid) in graph.sent[1]["text"]["body"]
    assert await core_event(h, tid, "closed") == 200
    await wait_for(lambda: db.outbox()[-1]["state"] == "done")
    assert len(graph.sent) == 4  # opted out: no status update


async def test_sms_and_whatsapp_of_one_number_are_one_reporter(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph)
    sms = SmsConversation(h.gw.pipeline, SmsConfig(), "ID")
    first = await sms.handle(
        InboundSms(
            adapter="sms.smpp",
            transport="smpp:test",
            route="test",
            sender="081234567890",
            text=COMPLAINT,
        )
    )
    assert first.action == "report" and first.tracking_id is not None
    _, body = await post_webhook(h, envelope([text_msg("wamid.X1", COMPLAINT)]))
    assert body["outcomes"] == ["report"]
    (wa,) = db.reports()
    assert wa["duplicate_of"] == first.tracking_id
    await wait_for(lambda: len(graph.sent) == 1)
    assert display(first.tracking_id) in graph.sent[0]["text"]["body"]


async def test_131047_status_without_a_template_queues_nothing(
    graph: FakeGraph, config_factory, gateway_factory, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, graph, templates={})
    await file_one(h, graph, db, "wamid.NT1")
    ack = graph.sent[0]
    failed = status_item(
        ack["_id"], "failed", errors=[131047], opaque=ack["biz_opaque_callback_data"]
    )
    _, body = await post_webhook(h, envelope(statuses=[failed]))
    assert body["outcomes"] == ["status_failed"]
    assert len(db.outbox()) == 1 and db.outbox()[0]["delivery_state"] == "failed"
