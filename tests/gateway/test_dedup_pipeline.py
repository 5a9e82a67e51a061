"""Duplicate detection and flood control through the real Pipeline on a real SQLite file
(and the real HTTP gateway for the webhook paths)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters import signing
from gateway.config import Config
from gateway.dedup import Deduplicator
from gateway.delivery import GatewayDeliverer
from gateway.flood import FloodControl
from gateway.linker import Linker
from gateway.pipeline import Pipeline
from gateway.store.sqlite import SqliteStore
from normalizer.report import Channel, Location, ReplyAddress, Report, Reporter
from normalizer.tracking import display
from outbox.backoff import RetryPolicy
from outbox.relay import Relay
from tests.conftest import WEB_SECRET, make_config

PHONE = "081234567890"
E164 = "+6281234567890"
DRAIN = "Selokan di Jl. Cibiru Raya no 45 mampet, kalau hujan air meluap ke jalan."


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def sms(text: str, phone: str | None = PHONE, **kw: Any) -> Report:
    return Report(
        channel=Channel.SMS,
        transport="smpp:test",
        text=text,
        reporter=Reporter(phone=phone),
        reply_to=ReplyAddress(adapter="sms.smpp", address=phone or "+620"),
        **kw,
    )


def web(text: str, phone: str | None = E164, **kw: Any) -> Report:
    return Report(
        channel=Channel.WEB,
        transport="http",
        text=text,
        reporter=Reporter(phone=phone),
        reply_to=ReplyAddress(adapter="web", address="https://warga.example/cb"),
        **kw,
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, {"flood": {"sender_burst": 3, "sender_per_min": 6.0}})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dedup_pipeline(store: SqliteStore, config: Config, clock: Clock) -> Pipeline:
    p = Pipeline(
        store,
        config,
        dedup=Deduplicator(config.dedup),
        flood=FloodControl(config.flood, clock),
    )
    return p


async def forward_all(store: SqliteStore, linker: Linker) -> None:
    """One relay pass over the rows bound for the (embedded) core, linking as it forwards
    (what the gateway's relay or its forwarder process does)."""
    relay = Relay(
        store,
        GatewayDeliverer(store, {}, None, case_store=store, linker=linker),
        policy_for=lambda _: RetryPolicy(1.0, 1.0, 3),
        only_targets=frozenset({"core"}),
    )
    await relay.run_once()


async def acks(store: SqliteStore, tid: str) -> list[dict[str, Any]]:
    rows = await store.outbox_rows(tid)
    return [json.loads(r["payload"]) | {"state": r["state"]} for r in rows if r["kind"] == "ack"]


async def test_same_phone_sms_then_web_within_window_is_duplicate(
    dedup_pipeline: Pipeline, store: SqliteStore
) -> None:
    first = await dedup_pipeline.submit(
        sms(DRAIN, received_at=datetime.now(UTC) - timedelta(hours=71)), inbound_key="sms:1"
    )
    second = await dedup_pipeline.submit(web(DRAIN.upper() + "!!!"), inbound_key="web:1")
    assert second.duplicate_of == first.tracking_id
    assert second.status == "duplicate"
    rows = await store.outbox_rows(second.tracking_id)
    kinds = {r["kind"]: r for r in rows}
    assert "forward" not in kinds  # no new case
    assert json.loads(kinds["addendum"]["payload"]) == {
        "original": first.tracking_id,
        "addendum": False,
    }
    (ack,) = await acks(store, second.tracking_id)
    assert ack["kind"] == "duplicate"
    assert display(first.tracking_id) in ack["text"]
    assert display(second.tracking_id) not in ack["text"]


async def test_outside_window_is_a_new_report(dedup_pipeline: Pipeline) -> None:
    await dedup_pipeline.submit(
        sms(DRAIN, received_at=datetime.now(UTC) - timedelta(hours=73)), inbound_key="sms:1"
    )
    again = await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:2")
    assert again.duplicate_of is None
    assert again.status == "received"


async def test_reworded_resend_is_a_new_case_linked_possible_duplicate(
    dedup_pipeline: Pipeline, store: SqliteStore
) -> None:
    """Not near-certain, so not merged (issue 13): the citizen gets a tracking ID of their
    own and the normal answer; the case handler gets the link with its evidence."""
    first = await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:1")
    again = await dedup_pipeline.submit(
        sms("selokan jln cibiru raya no 45 mampet, klo hujan air meluap ke jln. tlg dibersihkan"),
        inbound_key="sms:2",
    )
    assert again.duplicate_of is None
    assert again.status == "received"
    found = await store.get_report(again.tracking_id)
    assert found is not None
    link = found[0].possible_duplicate_of
    assert link is not None and link.tracking_id == first.tracking_id
    assert 0 < link.score <= 1 and link.evidence
    kinds = {r["kind"] for r in await store.outbox_rows(again.tracking_id)}
    assert "forward" in kinds  # a case of its own reaches the core
    (ack,) = await acks(store, again.tracking_id)
    assert ack["kind"] == "received"
    assert display(again.tracking_id) in ack["text"]
    assert first.tracking_id not in json.dumps(ack)


async def test_longer_message_is_addendum_on_original(
    dedup_pipeline: Pipeline, store: SqliteStore
) -> None:
    first = await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:1")
    more = await dedup_pipeline.submit(
        sms(DRAIN + " Sekarang air sudah masuk ke tiga rumah warga dan banyak nyamuk."),
        inbound_key="sms:2",
    )
    assert more.duplicate_of == first.tracking_id
    assert more.status == "addendum"
    rows = {r["kind"]: r for r in await store.outbox_rows(more.tracking_id)}
    assert json.loads(rows["addendum"]["payload"])["addendum"] is True
    (ack,) = await acks(store, more.tracking_id)
    assert ack["kind"] == "addendum"
    assert "Tambahan" in ack["text"]


async def test_chain_points_to_first_report(dedup_pipeline: Pipeline) -> None:
    first = await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:1")
    await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:2")
    third = await dedup_pipeline.submit(web(DRAIN), inbound_key="web:3")
    assert third.duplicate_of == first.tracking_id


async def test_different_reporters_get_similar_links(
    dedup_pipeline: Pipeline, store: SqliteStore, config: Config
) -> None:
    region = Location(region="kota-bandung")
    a = await dedup_pipeline.submit(
        sms("Lampu jalan Cibiru Raya dekat masjid Al Ikhlas mati 2 minggu", location=region),
        inbound_key="sms:1",
    )
    b = await dedup_pipeline.submit(
        sms(
            "lampu jalan cibiru raya dkt masjid al ikhlas gak nyala udah lama",
            phone="081299999999",
            location=region,
        ),
        inbound_key="sms:2",
    )
    assert b.duplicate_of is None
    found = await store.get_report(b.tracking_id)
    assert found is not None and found[0].similar_to == []  # links come with the forward
    await forward_all(store, Linker(config.dedup))
    found = await store.get_report(b.tracking_id)
    assert found is not None
    assert [link.tracking_id for link in found[0].similar_to] == [a.tracking_id]
    # ... and the citizen's ack shows only their own report
    (ack,) = await acks(store, b.tracking_id)
    assert a.tracking_id not in json.dumps(ack)
    assert display(b.tracking_id) in ack["text"]


async def test_anonymous_duplicates_never_reveal_the_other_report(
    dedup_pipeline: Pipeline, store: SqliteStore
) -> None:
    stranger = await dedup_pipeline.submit(
        sms(DRAIN, phone="081111111111", anonymous=True, confidential=True), inbound_key="sms:1"
    )
    mine = await dedup_pipeline.submit(sms(DRAIN, anonymous=True), inbound_key="sms:2")
    # same text, different person: not a duplicate, a similar link for case handlers only
    assert mine.duplicate_of is None
    assert mine.status == "received"
    (ack,) = await acks(store, mine.tracking_id)
    assert stranger.tracking_id not in json.dumps(ack)
    assert display(stranger.tracking_id) not in ack["text"]
    # the same anonymous person again: duplicate of *their own* report
    again = await dedup_pipeline.submit(sms(DRAIN, anonymous=True), inbound_key="sms:3")
    assert again.duplicate_of == mine.tracking_id
    (ack,) = await acks(store, again.tracking_id)
    assert stranger.tracking_id not in json.dumps(ack)
    assert display(stranger.tracking_id) not in ack["text"]
    assert display(mine.tracking_id) in ack["text"]
    # an anonymous web report without any identity never becomes anyone's duplicate
    nobody = await dedup_pipeline.submit(web(DRAIN, phone=None, anonymous=True), inbound_key="w:1")
    assert nobody.duplicate_of is None
    (ack,) = await acks(store, nobody.tracking_id)
    for other in (stranger, mine, again):
        assert other.tracking_id not in json.dumps(ack)


async def test_similarity_index_is_rebuilt_at_start(
    store: SqliteStore, config: Config, dedup_pipeline: Pipeline
) -> None:
    a = await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:1")
    dup = await dedup_pipeline.submit(sms(DRAIN), inbound_key="sms:2")  # not indexed
    # not forwarded yet: indexed when it is, so it links only to reports before it
    assert await Linker(config.dedup).warm(store) == 0
    await forward_all(store, Linker(config.dedup))
    restarted = Linker(config.dedup)
    assert await restarted.warm(store) == 1  # the original only
    b = await dedup_pipeline.submit(sms(DRAIN, phone="081277777777"), inbound_key="sms:3")
    await forward_all(store, restarted)
    found = await store.get_report(b.tracking_id)
    assert found is not None
    assert [link.tracking_id for link in found[0].similar_to] == [a.tracking_id]
    assert dup.tracking_id not in {link.tracking_id for link in found[0].similar_to}
    # A's reporter again, about something close but not the same: a new report, and the
    # warmed index knows A is theirs (identities come with the warm-up), so no link to A
    c = await dedup_pipeline.submit(
        sms("Selokan di Jl. Cibiru Raya dekat pasar juga mampet, air meluap ke rumah"),
        inbound_key="sms:4",
    )
    assert c.duplicate_of is None
    await forward_all(store, restarted)
    found = await store.get_report(c.tracking_id)
    assert found is not None
    assert [link.tracking_id for link in found[0].similar_to] == [b.tracking_id]


async def test_flooding_sender_is_stored_throttled_held_and_released(
    dedup_pipeline: Pipeline, store: SqliteStore, clock: Clock
) -> None:
    results = [
        await dedup_pipeline.submit(sms(f"keluhan nomor {i} soal {i}"), inbound_key=f"s:{i}")
        for i in range(5)
    ]
    assert all(r.tracking_id for r in results)  # nothing lost
    normal, flooded = results[:3], results[3:]
    for r in normal:
        states = {row["kind"]: row["state"] for row in await store.outbox_rows(r.tracking_id)}
        assert states == {"forward": "pending", "ack": "pending"}
    for r in flooded:
        found = await store.get_report(r.tracking_id)
        assert found is not None and found[0].throttled
        rows = await store.outbox_rows(r.tracking_id)
        assert [(row["kind"], row["state"]) for row in rows] == [("forward", "held")]
    # another citizen is not affected
    other = await dedup_pipeline.submit(sms("air mati", phone="081233333333"), inbound_key="o")
    assert not (await store.get_report(other.tracking_id))[0].throttled  # type: ignore[index]
    assert await dedup_pipeline.release_calmed() == 0  # still flooding
    clock.t += 600  # the sender calmed down
    assert await dedup_pipeline.release_calmed() == 2
    for r in flooded:
        rows = await store.outbox_rows(r.tracking_id)
        assert [(row["kind"], row["state"]) for row in rows] == [("forward", "pending")]
    assert await dedup_pipeline.release_calmed() == 0


async def test_webhook_duplicate_and_back_pressure(
    gateway_factory: Callable[[Config], Any], tmp_path: Path
) -> None:
    h = await gateway_factory(make_config(tmp_path, {"flood": {"max_outbox_backlog": 3}}))
    doc = {"text": DRAIN, "reporter": {"phone": PHONE}}
    status, first = await h.post_signed("/v1/web/reports", doc)
    assert status == 201
    status, second = await h.post_signed("/v1/web/reports", doc | {"text": DRAIN.lower()})
    assert status == 201
    assert second["duplicate_of"] == first["tracking_id"]
    # pile up the outbox past the bound (the relays deliver to the embedded core, so pause
    # them by stopping them: the core's rows have a relay of their own), then the webhook
    # sheds load with 503 + Retry-After
    for relay in h.gw.relays:
        await relay.stop()
    for i in range(4):
        await h.post_signed("/v1/web/reports", {"text": f"laporan berbeda nomor {i} soal {i}"})
    await h.gw.refresh_gauges()
    body = json.dumps({"text": "jalan rusak"}).encode()
    headers = {
        "Content-Type": "application/json",
        **signing.signed_headers(WEB_SECRET.encode(), body),
    }
    async with h.session.post(h.base + "/v1/web/reports", data=body, headers=headers) as resp:
        assert resp.status == 503
        assert int(resp.headers["Retry-After"]) >= 1
    status, ready = await h.get("/readyz")
    assert ready["flood"]["retry_after"] is not None
    assert "throttled_total" in ready["flood"]


async def test_core_gets_one_case_per_problem_with_links_and_addendum(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, fake_core: Any
) -> None:
    h = await gateway_factory(make_config(tmp_path, {"core": {"url": fake_core.url}}))
    lampu = "Lampu jalan Cibiru Raya dekat masjid Al Ikhlas mati 2 minggu"
    status, a = await h.post_signed(
        "/v1/web/reports", {"text": lampu, "reporter": {"phone": PHONE}}
    )
    assert status == 201, a
    _, b = await h.post_signed(
        "/v1/web/reports",
        {
            "text": "lampu jalan cibiru raya dkt masjid al ikhlas gak nyala udah lama",
            "reporter": {"phone": "081299999999"},
        },
    )
    _, c = await h.post_signed(
        "/v1/web/reports", {"text": lampu.upper(), "reporter": {"phone": E164}}
    )
    assert c["duplicate_of"] == a["tracking_id"]
    for _ in range(200):
        if len(fake_core.state.cases) >= 2 and fake_core.state.addenda:
            break
        await asyncio.sleep(0.05)
    assert len(fake_core.state.cases) == 2  # A and B; C is not a new case
    assert [original for original, _ in fake_core.state.addenda] == [a["tracking_id"]]
    case_b = next(
        body
        for body in fake_core.state.cases.values()
        if body.get("tracking_id") == b["tracking_id"]
    )
    assert [link["tracking_id"] for link in case_b["similar_to"]] == [a["tracking_id"]]


async def test_core_gets_possible_duplicate_link_and_region(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, fake_core: Any
) -> None:
    """The core receives the possible_duplicate_of link of a reworded resend (a case of its
    own) and the region the text names (Kemendagri code), for routing."""
    h = await gateway_factory(make_config(tmp_path, {"core": {"url": fake_core.url}}))
    formal = (
        "Tagihan air PDAM di rumah saya Jl. Melati No. 12 Kelurahan Cibangkong, Kecamatan "
        "Batununggal, Kota Bandung melonjak menjadi Rp 780.000 padahal air sering tidak mengalir."
    )
    status, a = await h.post_signed("/v1/web/reports", {"text": formal, "reporter": {"phone": PHONE}})
    assert status == 201, a
    status, b = await h.post_signed(
        "/v1/web/reports",
        {
            "text": "tagihan pdam dirmh sy jd 780rb pdhl air sering gk ngalir. kel cibangkong bdg",
            "reporter": {"phone": E164},
        },
    )
    assert status == 201, b
    assert b["duplicate_of"] is None and b["tracking_id"] != a["tracking_id"]
    for _ in range(200):
        if len(fake_core.state.cases) >= 2:
            break
        await asyncio.sleep(0.05)
    bodies = {body["tracking_id"]: body for body in fake_core.state.cases.values()}
    assert set(bodies) == {a["tracking_id"], b["tracking_id"]}
    link = bodies[b["tracking_id"]]["possible_duplicate_of"]
    assert link["tracking_id"] == a["tracking_id"] and link["evidence"]
    assert bodies[a["tracking_id"]]["region"].startswith("32.73")  # Kota Bandung
