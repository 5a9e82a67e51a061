"""The operator commands as an operator types them: the real CLI in a subprocess on a real
SQLite file that a real pipeline has written to.

Each says what actually happened, refuses what it cannot do (exit non-zero, nothing
changed) and never cuts a list without saying so.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from gateway.pipeline import Pipeline
from gateway.store.sqlite import SqliteStore
from normalizer import Channel, ReplyAddress, Report, Reporter
from tests.gateway.test_status_roundtrip import ROOT, cli, write_config


def _report(text: str, *, reply: bool = True) -> Report:
    return Report(
        channel=Channel.SMS,
        transport="test",
        text=text,
        reporter=Reporter(phone="081234567890" if reply else None),
        reply_to=ReplyAddress(adapter="sms.test", address="+6281234567890") if reply else None,
    )


async def _file(pipeline: Pipeline, text: str, *, reply: bool = True) -> str:
    result = await pipeline.submit(_report(text, reply=reply), inbound_key=f"test:{text}")
    return result.tracking_id


def _status_updates(db: Path, tracking_id: str) -> int:
    with sqlite3.connect(db) as c:
        row = c.execute(
            "SELECT COUNT(*) FROM outbox WHERE tracking_id = ? AND kind = 'ack' "
            "AND json_extract(payload, '$.kind') = 'status_update'",
            (tracking_id,),
        ).fetchone()
    return int(row[0])


# -- case set-status --------------------------------------------------------------------------


async def test_set_status_says_whether_the_citizen_is_told(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    path = write_config(tmp_path)
    tid = await _file(pipeline, "Jalan rusak parah di depan pasar Baru")

    code, out, err = await cli(path, "case", "set-status", tid, "in_progress")
    assert code == 0, err
    assert out.strip() == (
        "status set to in_progress; the citizen is not told: "
        "in_progress is not in acks.notify_statuses"
    )
    assert _status_updates(tmp_path / "lapor.db", tid) == 0

    code, out, err = await cli(path, "case", "set-status", tid, "closed")
    assert code == 0, err
    assert out.strip() == "status set to closed; the citizen is told on their channel (outbox)"
    assert _status_updates(tmp_path / "lapor.db", tid) == 1


async def test_set_status_on_a_report_without_reply_address_says_nobody_is_told(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    path = write_config(tmp_path)
    tid = await _file(pipeline, "Sampah menumpuk di TPS Jalan Kaliurang", reply=False)
    code, out, err = await cli(path, "case", "set-status", tid, "closed")
    assert code == 0, err
    assert "the citizen is not told: the report has no address to answer" in out
    assert _status_updates(tmp_path / "lapor.db", tid) == 0


# -- case list --------------------------------------------------------------------------------


async def test_case_list_refuses_an_unknown_status_listing_the_valid_ones(tmp_path: Path) -> None:
    code, out, err = await cli(write_config(tmp_path), "case", "list", "--status", "bogus")
    assert code == 2 and out == ""
    assert "unknown status 'bogus'" in err
    for status in ("received", "in_progress", "closed", "duplicate"):
        assert status in err


async def test_case_list_says_when_it_is_cut_at_its_limit(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    path = write_config(tmp_path)
    ids = [await _file(pipeline, f"Lampu jalan mati nomor {i} di Sleman") for i in range(3)]

    code, out, err = await cli(path, "case", "list", "--limit", "2")
    assert code == 0, err
    listed = [line.split("\t")[0] for line in out.splitlines()[1:]]
    assert listed == ids[:0:-1], "the newest two"
    assert "only the newest 2 shown; --limit N shows more" in err

    code, out, err = await cli(path, "case", "list", "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 4 and err == ""


# -- outbox replay ----------------------------------------------------------------------------


async def test_outbox_replay_of_a_missing_or_live_row_is_an_error(
    pipeline: Pipeline, store: SqliteStore, tmp_path: Path
) -> None:
    path = write_config(tmp_path)
    tid = await _file(pipeline, "Air PDAM tidak mengalir tiga hari")
    rows = await store.outbox_rows(tid)
    dead, live = rows[0]["id"], rows[1]["id"]
    await store.write(lambda c: c.execute("UPDATE outbox SET state = 'dead' WHERE id = ?", (dead,)))

    code, out, err = await cli(path, "outbox", "replay", "999")
    assert code == 1 and out == ""
    assert "outbox 999: no such row" in err

    code, out, err = await cli(path, "outbox", "replay", str(dead), str(live))
    assert code == 1
    assert f"outbox {live}: not a dead letter (state pending)" in err
    assert "nothing replayed" in err
    states = await store.outbox_states([dead, live])
    assert states == {dead: "dead", live: "pending"}, "a refused replay changes nothing"

    code, out, err = await cli(path, "outbox", "replay", str(dead))
    assert code == 0, err
    assert "replayed 1 dead letter(s)" in out
    assert (await store.outbox_states([dead]))[dead] == "pending"


# -- check-config -----------------------------------------------------------------------------


async def _check_config(path: Path, **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        "check-config",
        "--config",
        str(path),
        cwd=ROOT,
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_check_config_warns_about_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing set yet\n")
    code, out, err = await _check_config(empty)
    assert code == 0
    assert f"warning: {empty}: no settings in this file: every value is its default" in err
    assert "warning: adapters.web.secret: empty while adapters.web is enabled" in err
    assert "warning: adapters.mobile.secret: empty while adapters.mobile is enabled" in err
    assert out.strip() == "config OK with 3 warning(s)"


async def test_check_config_warns_about_doors_that_refuse_everything(tmp_path: Path) -> None:
    cfg = tmp_path / "doors.toml"
    cfg.write_text(
        '[core]\nurl = "http://127.0.0.1:9/cases"\n'
        '[adapters.web]\nsecret = "s"\n'
        "[adapters.mobile]\nenabled = true\n"
        "[adapters.open311]\nenabled = true\napi_keys = []\n"
        '[[adapters.open311.services]]\nservice_code = "JALAN"\nservice_name = "Jalan rusak"\n'
    )
    code, out, err = await _check_config(cfg)
    assert code == 0, err
    warnings = sorted(line for line in err.splitlines() if line.startswith("warning: "))
    assert [w.split(":")[1].strip() for w in warnings] == [
        "adapters.mobile.secret",
        "adapters.open311.api_keys",
        "core.events_secret",
    ]
    assert "every request is refused (401" in err and "refused (403)" in err
    assert out.strip() == "config OK with 3 warning(s)"


async def test_check_config_of_the_shipped_config_has_no_warning(tmp_path: Path) -> None:
    code, out, err = await _check_config(
        ROOT / "config.toml",
        LAPOR_WEB_SECRET="w",
        LAPOR_MOBILE_SECRET="m",
        LAPOR_CORE_EVENTS_SECRET="c",
    )
    assert (code, out.strip(), err) == (0, "config OK", "")


# -- duplicate links ----------------------------------------------------------------------------


async def test_case_list_and_show_print_the_possible_duplicate_link(
    store: SqliteStore, tmp_path: Path
) -> None:
    """A reworded resend is a case of its own; the operator sees its link to the first."""
    from gateway.dedup import Deduplicator
    from tests.conftest import make_config

    config = make_config(tmp_path)
    pipeline = Pipeline(store, config, dedup=Deduplicator(config.dedup))
    first = await _file(pipeline, "Selokan di Jl. Cibiru Raya no 45 mampet, kalau hujan air meluap")
    second = await _file(
        pipeline, "selokan jln cibiru raya no 45 mampet, klo hujan air meluap ke jln. tlg dibersihkan"
    )
    path = write_config(tmp_path)
    code, out, err = await cli(path, "case", "list")
    assert code == 0, err
    header, *rows = out.strip().splitlines()
    column = header.split("\t").index("possible_duplicate_of")
    linked = {r.split("\t")[0]: r.split("\t")[column] for r in rows}
    assert linked == {second: first, first: ""}
    code, out, err = await cli(path, "case", "show", second)
    assert code == 0, err
    assert f'"tracking_id": "{first}"' in out and '"evidence"' in out
