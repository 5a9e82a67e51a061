"""Two gateway instances in one process, each with its own port and data folder, on one
PostgreSQL database (the session's throwaway cluster, tests/pg.py): what one instance
commits, the other honours."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.config import Config
from tests.conftest import GatewayHarness, make_config
from tests.pg import PgCluster

TEXT = "Selokan di Jl. Cibiru Raya no 45 mampet, kalau hujan air meluap ke jalan."


async def two_instances(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, pg_cluster: PgCluster
) -> tuple[GatewayHarness, GatewayHarness]:
    dsn = pg_cluster.new_database()
    a, b = (make_config(tmp_path / name, {"gateway": {"database": dsn}}) for name in ("a", "b"))
    return await gateway_factory(a), await gateway_factory(b)


async def test_one_reporters_repeat_sent_to_both_instances_at_once_opens_one_case(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, pg_cluster: PgCluster
) -> None:
    a, b = await two_instances(gateway_factory, tmp_path, pg_cluster)
    phones = [f"0812340000{n:02d}" for n in range(8)]
    answers = await asyncio.gather(
        *(
            h.post_signed("/v1/web/reports", {"text": text, "reporter": {"phone": phone}})
            for phone in phones
            for h, text in ((a, TEXT), (b, TEXT.lower()))  # two messages, one complaint
        )
    )
    assert all(status == 201 for status, _ in answers), answers
    for n in range(len(phones)):
        (_, one), (_, two) = answers[2 * n], answers[2 * n + 1]
        originals = [r for r in (one, two) if r["duplicate_of"] is None]
        # the level-2 decisions for one reporter ran one after the other, across instances
        assert len(originals) == 1, (one, two)
        repeat = two if originals[0] is one else one
        assert repeat["duplicate_of"] == originals[0]["tracking_id"]


async def test_one_idempotency_key_sent_to_both_instances_at_once_is_one_report(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, pg_cluster: PgCluster
) -> None:
    a, b = await two_instances(gateway_factory, tmp_path, pg_cluster)
    answers = await asyncio.gather(
        *(
            h.post_signed(
                "/v1/web/reports",
                {"text": f"laporan {n}: jalan berlubang"},
                headers={"Idempotency-Key": f"key-{n}"},
            )
            for n in range(8)
            for h in (a, b)
        )
    )
    for n in range(8):
        (s1, one), (s2, two) = answers[2 * n], answers[2 * n + 1]
        assert sorted((s1, s2)) == [200, 201], (one, two)  # one filed it, one saw the repeat
        assert one["tracking_id"] == two["tracking_id"]
    assert len(await a.gw.store.list_reports(None, 100)) == 8


async def test_each_outbox_row_is_sent_by_one_instance(
    gateway_factory: Callable[[Config], Any],
    tmp_path: Path,
    pg_cluster: PgCluster,
    fake_core: Any,
) -> None:
    dsn = pg_cluster.new_database()
    fake_core.state.delay_s = 0.05  # deliveries overlap: both relays see the same due rows
    configs = [
        make_config(tmp_path / name, {"gateway": {"database": dsn}, "core": {"url": fake_core.url}})
        for name in ("a", "b")
    ]
    a, b = [await gateway_factory(c) for c in configs]
    answers = await asyncio.gather(
        *(
            h.post_signed("/v1/web/reports", {"text": f"laporan nomor {n}: pohon tumbang"})
            for n in range(20)
            for h in ((a, b)[n % 2],)
        )
    )
    assert all(status == 201 for status, _ in answers)
    for _ in range(200):
        if len(fake_core.state.cases) == 20:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # a second send would have arrived by now
    assert len(fake_core.state.cases) == 20
    assert len(fake_core.state.requests) == 20  # none sent twice
    assert (await a.gw.store.outbox_depth()).get("done") == 20


async def test_an_instance_leaves_acks_for_a_door_it_does_not_serve(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, pg_cluster: PgCluster
) -> None:
    dsn = pg_cluster.new_database()
    a = await gateway_factory(make_config(tmp_path / "a", {"gateway": {"database": dsn}}))
    b = await gateway_factory(
        make_config(
            tmp_path / "b", {"gateway": {"database": dsn}, "adapters": {"web": {"enabled": False}}}
        )
    )
    await a.gw.relay.stop()  # only b relays: it serves the core, not the web door
    status, body = await a.post_signed(
        "/v1/web/reports",
        {"text": "sampah menumpuk di pasar", "callback_url": "http://127.0.0.1:9/cb"},
    )
    assert status == 201
    tid = body["tracking_id"]
    for _ in range(100):
        rows = {r["kind"]: r for r in await b.gw.store.outbox_rows(tid)}
        if rows["forward"]["state"] == "done":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # several more relay passes of b
    rows = {r["kind"]: r for r in await b.gw.store.outbox_rows(tid)}
    assert rows["forward"]["state"] == "done"  # b forwarded to the (embedded) core
    assert (rows["ack"]["state"], rows["ack"]["attempts"]) == ("pending", 0)  # untouched
    assert (await b.gw.store.claim_outbox("probe", time.time(), 10, 1)) != []  # still free


async def test_readyz_and_metrics_name_the_instance_and_its_database(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, pg_cluster: PgCluster
) -> None:
    dsn = pg_cluster.new_database()
    h = await gateway_factory(make_config(tmp_path, {"gateway": {"database": dsn}}))
    assert await h.gw.leadership.holds("x-pollers")  # type: ignore[union-attr]
    assert await h.gw.leadership.holds("core-forwarder")  # type: ignore[union-attr]
    status, ready = await h.get("/readyz")
    assert status == 200 and ready["store"]["ok"]
    assert ready["instance"]["database"] == "postgresql"
    assert ready["instance"]["leases"] == ["core-forwarder", "x-pollers"]
    await h.gw.refresh_gauges()
    _, text = await h.get("/metrics")
    name = ready["instance"]["name"]
    assert f'lapor_instance_info{{database="postgresql",instance="{name}"}} 1.0' in text
    assert 'lapor_lease_held{lease="x-pollers"} 1.0' in text
    assert 'lapor_lease_held{lease="core-forwarder"} 1.0' in text


async def test_web_intake_answers_retry_while_postgresql_restarts(
    gateway_factory: Callable[[Config], Any], tmp_path: Path
) -> None:
    """The database goes away under an instance: requests get 503 (the client retries),
    none is told "received" for a report that was not committed, and intake resumes on
    its own once the server is back."""
    with PgCluster() as own:  # its own server: the session's is shared by other tests
        h = await gateway_factory(
            make_config(tmp_path, {"gateway": {"database": own.create_database("lapor")}})
        )
        status, first = await h.post_signed("/v1/web/reports", {"text": "laporan sebelum"})
        assert status == 201
        own.stop("immediate")
        status, body = await h.post_signed("/v1/web/reports", {"text": "laporan saat mati"})
        assert status == 503, body
        own.restart()
        for _ in range(100):
            status, body = await h.post_signed("/v1/web/reports", {"text": "laporan saat mati"})
            if status != 503:
                break
            await asyncio.sleep(0.1)
        assert status == 201, body
        reports = await h.gw.store.list_reports(None, 10)
        assert sorted(r["tracking_id"] for r in reports) == sorted(
            [first["tracking_id"], body["tracking_id"]]
        )
