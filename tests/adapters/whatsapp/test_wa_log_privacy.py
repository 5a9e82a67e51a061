"""The WhatsApp door at DEBUG: no secret, phone number, profile name or confidential text in
the logs, through a confidential report, a status update, a failed status, a media download
that fails and a rejected token."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_graph import TOKEN, FakeGraph
from wa_harness import (
    APP_SECRET,
    CITIZEN,
    VERIFY_TOKEN,
    Db,
    envelope,
    post_webhook,
    status_item,
    text_msg,
    typed_msg,
    wa_section,
)

from adapters.whatsapp.webhook import PATH
from normalizer.privacy import mask_phone
from tests.conftest import CORE_EVENTS_SECRET
from tests.db_view import wait_for

SECRET_TEXT = "Kepala dinas Sukamaju meminta setoran dua juta untuk izin warung"


async def test_no_personal_data_or_secret_in_logs(
    graph: FakeGraph,
    config_factory: Any,
    gateway_factory: Any,
    db: Db,
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph.add_media("5151", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
    graph.fail("download", 500, 0)
    with caplog.at_level(logging.DEBUG):
        h = await gateway_factory(config_factory(wa_section(graph)))
        query = f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=7"
        async with h.session.get(f"{h.base}{PATH}?{query}") as resp:
            assert resp.status == 200
        await post_webhook(
            h,
            envelope(
                [
                    text_msg("wamid.PV1", "RAHASIA " + SECRET_TEXT),
                    typed_msg(
                        "wamid.PV2",
                        "image",
                        {"caption": "Foto jalan rusak di depan balai desa", "id": "5151"},
                    ),
                ]
            ),
        )
        await wait_for(lambda: len(graph.sent) == 2)
        tid = db.reports()[0]["tracking_id"]
        event = {
            "tracking_id": tid,
            "status": "closed",
            "at": datetime.now(UTC).isoformat(),
            "note": "Sudah ditindak",
        }
        await h.post_signed("/v1/core/events", event, secret=CORE_EVENTS_SECRET)
        await wait_for(lambda: len(graph.sent) == 3)
        await post_webhook(
            h, envelope(statuses=[status_item(graph.sent[2]["_id"], "failed", errors=[131026])])
        )
        graph.token = "rotated"
        await post_webhook(h, envelope([text_msg("wamid.PV3", "BANTUAN", at=time.time())]))
        await wait_for(lambda: db.outbox()[-1]["attempts"] >= 1)
    text = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name != "asyncio"
    )
    assert mask_phone("+" + CITIZEN) in text  # the door logged the citizen, masked
    for needle in (
        CITIZEN,
        CITIZEN[2:],
        "0" + CITIZEN[2:],
        "Budi Santoso",
        SECRET_TEXT[:30],
        APP_SECRET,
        TOKEN,
        VERIFY_TOKEN,
        "Bearer",
    ):
        assert needle not in text, needle
