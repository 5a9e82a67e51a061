"""The console over real HTTP: a real gateway (SQLite file, relay, web adapter) on
127.0.0.1, a real local core case store, and a client with its own cookie jar.

Access (login, cookie flags, lockout, CSRF, logout), the audit log, the actions (replay,
release) going through to delivery, and what pages never show (confidential text,
unmasked phone numbers)."""

from __future__ import annotations

import base64
import io
import json
import tomllib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from gateway.cli import main as cli_main
from gateway.config import Config
from gateway.console.audit import AuditLog
from tests.conftest import GatewayHarness, make_config
from tests.console.harness import (
    OPERATOR,
    PASSWORD,
    ConsoleClient,
    console_config,
    csrf_of,
    wait_until,
)
from tests.fakes.core import FakeCore

SECRET_TEXT = "Kepala dinas X menerima suap proyek jalan desa Sukamaju"
PHONE = "081298765432"


@pytest.fixture
async def client_factory() -> AsyncIterator[Callable[[GatewayHarness], ConsoleClient]]:
    made: list[ConsoleClient] = []

    def factory(h: GatewayHarness) -> ConsoleClient:
        c = ConsoleClient(h.base)
        made.append(c)
        return c

    yield factory
    for c in made:
        await c.close()


async def start(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, **overrides: Any
) -> GatewayHarness:
    h: GatewayHarness = await gateway_factory(console_config(tmp_path, overrides))
    return h


def audit(h: GatewayHarness) -> list[dict[str, Any]]:
    return AuditLog(h.gw.config.gateway.data_dir).read()


# -- access ---------------------------------------------------------------------------------


async def test_disabled_console_is_a_404(
    gateway_factory: Callable[[Config], Any], tmp_path: Path
) -> None:
    h: GatewayHarness = await gateway_factory(make_config(tmp_path))
    for path in ("/console", "/console/", "/console/login", "/console/static/htmx.min.js"):
        status, _ = await h.get(path)
        assert status == 404, path


async def test_nothing_is_reachable_without_login(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    status, _, resp = await c.get("/console")
    assert status == 308 and resp.headers["Location"] == "/console/"
    for path in ("/console/", "/console/dead-letters", "/console/held", "/console/reports"):
        status, _, resp = await c.get(path)
        assert status == 303, path
        assert resp.headers["Location"].startswith("/console/login?next=")
    status, text, _ = await c.post("/console/dead-letters/replay", {"all": "1"})
    assert status == 403
    status, text, _ = await c.get("/console/login")
    assert status == 200 and 'name="password"' in text
    # the vendored script is public (a login page may load it), with its licence beside it
    status, js, _ = await c.get("/console/static/htmx.min.js")
    assert status == 200 and "htmx" in js[:2000]
    assert (await c.get("/console/static/htmx.LICENSE.txt"))[0] == 200


async def test_login_sets_a_strict_httponly_cookie_and_is_audited(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    status, _, resp = await c.login()
    assert status == 303 and resp.headers["Location"] == "/console/"
    cookie = resp.cookies["lapor_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"]  # plain http, cookie_secure = "auto"
    status, text, resp = await c.get("/console/")
    assert status == 200 and "Ringkasan" in text and OPERATOR in text
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    entries = audit(h)
    assert [(e["operator"], e["action"], e["outcome"]) for e in entries] == [
        (OPERATOR, "login", "ok")
    ]
    assert entries[0]["source"] == "127.0.0.1" and "at" in entries[0]
    assert PASSWORD not in (tmp_path / "data" / "console-audit.jsonl").read_text()


async def test_cookie_is_secure_behind_tls_when_configured(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path, console={"cookie_secure": "always"})
    c = client_factory(h)
    _, page, resp = await c.get("/console/login")
    login_cookie = resp.cookies["lapor_console_login"]
    assert login_cookie["secure"]
    # a client keeps Secure cookies from plain http: hand it over as a TLS proxy would
    status, _, resp = await c.post(
        "/console/login",
        {"name": OPERATOR, "password": PASSWORD, "csrf": csrf_of(page)},
        headers={"Cookie": f"lapor_console_login={login_cookie.value}"},
    )
    assert status == 303 and resp.cookies["lapor_console"]["secure"]


async def test_wrong_password_and_unknown_name_are_refused_alike(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    status, text, _ = await c.login(password="salah-salah-salah")
    assert status == 401 and "Nama atau kata sandi salah" in text
    status2, text2, _ = await c.login(name="mallory")
    assert status2 == 401 and "Nama atau kata sandi salah" in text2
    assert (await c.get("/console/"))[0] == 303
    outcomes = [(e["operator"], e["outcome"]) for e in audit(h)]
    assert outcomes == [(OPERATOR, "refused"), ("mallory", "refused")]


async def test_account_locks_after_repeated_failures_even_for_the_right_password(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path, console={"lockout": {"account_failures": 3}})
    c = client_factory(h)
    for _ in range(3):
        assert (await c.login(password="tebak-tebak-terus"))[0] == 401
    status, text, _ = await c.login()
    assert status == 429 and "Terlalu banyak percobaan gagal" in text
    assert (await c.get("/console/"))[0] == 303
    # another account is not locked by it (the per-address limit is higher)
    assert (await c.login(name="sari", password="another-long-password"))[0] == 303
    assert [e["outcome"] for e in audit(h)] == ["refused"] * 3 + ["locked", "ok"]


async def test_source_locks_after_failures_across_accounts(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(
        gateway_factory,
        tmp_path,
        console={"lockout": {"account_failures": 10, "source_failures": 4}},
    )
    c = client_factory(h)
    for name in ("a1", "a2", "a3", "a4"):
        assert (await c.login(name=name, password="x" * 12))[0] == 401
    assert (await c.login())[0] == 429


async def test_post_without_or_with_a_wrong_csrf_token_is_refused_and_audited(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    await c.login()
    other = client_factory(h)
    await other.login(name="sari", password="another-long-password")
    assert other.csrf and other.csrf != c.csrf
    for form in ({"all": "1"}, {"all": "1", "csrf": ""}, {"all": "1", "csrf": other.csrf}):
        status, text, _ = await c.post("/console/held/release", form)
        assert status == 403 and "Permintaan ditolak" in text
    status, _, _ = await c.post("/console/logout", {})
    assert status == 403  # logout is a POST like any other
    status, _, _ = await c.post("/console/held/release", {"all": "1", "csrf": c.csrf})
    assert status == 303
    refused = [e for e in audit(h) if e["outcome"] == "csrf_refused"]
    assert len(refused) == 4 and refused[0]["operator"] == OPERATOR
    assert refused[0]["action"] == "POST /console/held/release"


async def test_login_form_needs_its_own_token(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    status, _, _ = await c.post("/console/login", {"name": OPERATOR, "password": PASSWORD})
    assert status == 403
    # a token from another browser's login form does not fit this browser's cookie
    other = client_factory(h)
    _, page, _ = await other.get("/console/login")
    await c.get("/console/login")
    status, _, _ = await c.post(
        "/console/login", {"name": OPERATOR, "password": PASSWORD, "csrf": csrf_of(page)}
    )
    assert status == 403
    assert (await c.get("/console/"))[0] == 303


async def test_logout_ends_the_session_and_a_copied_cookie_with_it(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    _, _, resp = await c.login()
    stolen = resp.cookies["lapor_console"].value
    status, _, resp = await c.post("/console/logout", {"csrf": c.csrf})
    assert status == 303 and resp.headers["Location"] == "/console/login"
    assert (await c.get("/console/"))[0] == 303
    replayed = client_factory(h)
    replayed.session.cookie_jar.update_cookies({"lapor_console": stolen})
    status, _, _ = await replayed.get("/console/", headers={"Cookie": f"lapor_console={stolen}"})
    assert status == 303
    assert [e["action"] for e in audit(h)] == ["login", "logout"]


async def test_a_tampered_cookie_is_no_session(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    c = client_factory(h)
    _, _, resp = await c.login()
    value = resp.cookies["lapor_console"].value
    sig = value.split(".")[1]
    forged = json.dumps({"op": "sari", "iat": 9, "n": "x"}).encode()
    fake = base64.urlsafe_b64encode(forged).rstrip(b"=").decode() + "." + sig
    other = client_factory(h)
    for bad in (fake, value[:-2] + "AA", "garbage", ""):
        status, _, _ = await other.get("/console/", headers={"Cookie": f"lapor_console={bad}"})
        assert status == 303, bad


# -- actions and pages ----------------------------------------------------------------------


async def test_replay_a_dead_letter_goes_to_the_core_and_is_audited(
    gateway_factory: Callable[[Config], Any],
    tmp_path: Path,
    client_factory: Any,
    fake_core: FakeCore,
) -> None:
    fake_core.state.mode = "reject400"
    h = await start(gateway_factory, tmp_path, core={"url": fake_core.url})
    _, body = await h.post_signed("/v1/web/reports", {"text": "Lampu jalan mati di Jl. Merdeka"})
    tid = body["tracking_id"]

    async def dead() -> list[Any]:
        return await h.gw.store.dead_letters(10)

    await wait_until(dead)
    (row,) = await dead()
    c = client_factory(h)
    await c.login()
    status, page, _ = await c.get("/console/dead-letters")
    assert status == 200 and f'id="dead-{row["id"]}"' in page and "400" in page
    status, page, _ = await c.get("/console/")
    assert 'id="total-dead">1<' in page
    # a row that is not a dead letter: nothing replayed, the page says why
    status, page, _ = await c.post(
        "/console/dead-letters/replay", {"id": ["999999"], "csrf": c.csrf}
    )
    assert status == 409 and "outbox 999999: no such row" in page
    fake_core.state.mode = "ok"
    status, _, resp = await c.post(
        "/console/dead-letters/replay", {"id": str(row["id"]), "csrf": c.csrf}
    )
    assert status == 303
    status, page, _ = await c.get(resp.headers["Location"])
    assert "1 baris dikirim ulang" in page

    async def delivered() -> bool:
        return any(
            r["state"] == "done" for r in await h.gw.store.outbox_rows(tid) if r["target"] == "core"
        )

    await wait_until(delivered)
    assert fake_core.state.cases
    actions = [(e["action"], e["outcome"], e["target"]) for e in audit(h)]
    assert ("replay", "refused", "999999") in actions
    assert ("replay", "ok", str(row["id"])) in actions
    ok = next(e for e in audit(h) if e["action"] == "replay" and e["outcome"] == "ok")
    assert ok["count"] == 1


async def test_release_a_held_sender(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path, flood={"sender_burst": 1, "sender_per_min": 0.01})
    reporter = {"name": "Siti", "phone": PHONE}
    tids = []
    for text in ("Sampah menumpuk di pasar", "Sampah belum diangkut juga", "Masih menumpuk"):
        _, body = await h.post_signed("/v1/web/reports", {"text": text, "reporter": reporter})
        tids.append(body["tracking_id"])
    held = await h.gw.store.held_reports(10)
    assert [x.tracking_id for x in held] == tids[1:]
    c = client_factory(h)
    await c.login()
    status, page, _ = await c.get("/console/held")
    assert (
        status == 200 and "+62*******5432" in page and PHONE not in page and "8129876" not in page
    )
    status, page, _ = await c.get("/console/")
    assert 'id="total-held">1<' in page
    status, _, resp = await c.post(
        "/console/held/release", {"tracking_id": tids[1:], "csrf": c.csrf}
    )
    assert status == 303 and "done=released" in resp.headers["Location"]
    assert await h.gw.store.held_reports(10) == []
    (entry,) = [e for e in audit(h) if e["action"] == "release"]
    assert entry["target"] == ",".join(tids[1:]) and entry["count"] == 2

    async def forwarded() -> bool:
        rows = await h.gw.store.outbox_rows(tids[2])
        return all(r["state"] == "done" for r in rows if r["target"] == "core")

    await wait_until(forwarded)


async def test_report_search_validates_the_check_digit(
    gateway_factory: Callable[[Config], Any], tmp_path: Path, client_factory: Any
) -> None:
    h = await start(gateway_factory, tmp_path)
    _, body = await h.post_signed("/v1/web/reports", {"text": "Jalan berlubang di Jl. Sudirman"})
    tid = body["tracking_id"]
    c = client_factory(h)
    await c.login()
    typo = tid[:-1] + str((int(tid[-1]) + 1) % 10)
    status, page, _ = await c.get("/console/reports", params={"q": typo})
    assert status == 400 and "angka pemeriksa salah" in page
    status, page, _ = await c.get("/console/reports", params={"q": "halo"})
    assert status == 400 and "bukan nomor laporan" in page
    grouped = "-".join(tid[i : i + 4] for i in range(0, 12, 4))
    status, _, resp = await c.get("/console/reports", params={"q": grouped.lower()})
    assert status == 303 and resp.headers["Location"] == f"/console/reports/{tid}"
    status, page, _ = await c.get(f"/console/reports/{tid}")
    assert status == 200 and "Jalan berlubang" in page and 'id="outbox-' in page
    assert ("view_report", tid) in [(e["action"], e["target"]) for e in audit(h)]
    status, page, _ = await c.get("/console/reports", params={"lang": "en", "q": typo})
    assert status == 400 and "wrong check digit" in page
    # the language sticks (cookie) until changed
    status, page, _ = await c.get("/console/")
    assert "Overview" in page and "Ringkasan" not in page


async def test_confidential_text_and_identities_never_appear(
    gateway_factory: Callable[[Config], Any],
    tmp_path: Path,
    client_factory: Any,
    fake_core: FakeCore,
) -> None:
    fake_core.state.mode = "reject400"
    h = await start(
        gateway_factory,
        tmp_path,
        core={"url": fake_core.url},
        flood={"sender_burst": 1, "sender_per_min": 0.01},
    )
    reporter = {"name": "Siti Aminah", "phone": PHONE, "email": "siti@example.id"}
    tids = []
    for n in range(2):
        _, body = await h.post_signed(
            "/v1/web/reports",
            {"text": f"{SECRET_TEXT} {n}", "confidential": True, "reporter": reporter},
        )
        tids.append(body["tracking_id"])
    _, body = await h.post_signed(
        "/v1/web/reports", {"text": "Anonim: pungli di kantor kelurahan", "anonymous": True}
    )
    anon = body["tracking_id"]
    await wait_until(lambda: h.gw.store.dead_letters(10))
    c = client_factory(h)
    await c.login()
    pages = ["/console/", "/console/dead-letters", "/console/held", "/console/reports"]
    pages += [f"/console/reports/{t}" for t in [*tids, anon]]
    for lang in ("id", "en"):
        for path in pages:
            status, page, _ = await c.get(path, params={"lang": lang})
            assert status == 200, path
            for secret in ("menerima suap", "Sukamaju", PHONE, "8129876", "siti@", "Siti"):
                assert secret not in page, (path, secret)
    _, page, _ = await c.get(f"/console/reports/{tids[0]}", params={"lang": "id"})
    assert "laporan rahasia: isi tidak ditampilkan" in page
    _, page, _ = await c.get(f"/console/reports/{anon}")
    assert "anonim" in page and "pungli" in page  # anonymous hides who, not what


# -- operator add -------------------------------------------------------------------------


def test_operator_add_prints_a_config_line_with_a_working_hash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("satu-dua-tiga-empat\n"))
    assert cli_main(["operator", "add", "budi", "--password-stdin"]) == 0
    line = capsys.readouterr().out.strip()
    entry = tomllib.loads(f"operators = [ {line.rstrip(',')} ]")["operators"][0]
    assert entry["name"] == "budi"
    assert PasswordHasher().verify(entry["password_hash"], "satu-dua-tiga-empat")
    config = make_config(
        tmp_path, {"console": {"enabled": True, "session_secret": "k" * 32, "operators": [entry]}}
    )
    assert config.console.operators[0].name == "budi"
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert cli_main(["operator", "add", "budi", "--password-stdin"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err


def test_console_config_problems_name_their_keys(tmp_path: Path) -> None:
    from gateway.config import ConfigError

    with pytest.raises(ConfigError) as err:
        make_config(
            tmp_path,
            {
                "console": {
                    "enabled": True,
                    "session_secret": "short",
                    "operators": [{"name": "a", "password_hash": "plain", "role": "x"}],
                    "lockout": {"tries": 3},
                }
            },
        )
    problems = "\n".join(err.value.problems)
    assert "console.operators[0].password_hash: Value error, must be an argon2 hash" in problems
    assert "console.operators[0].role: unknown key" in problems
    assert "console.lockout.tries: unknown key" in problems


async def test_replay_all_and_release_all(
    gateway_factory: Callable[[Config], Any],
    tmp_path: Path,
    client_factory: Any,
    fake_core: FakeCore,
) -> None:
    fake_core.state.mode = "reject400"
    h = await start(gateway_factory, tmp_path, core={"url": fake_core.url})
    for text in ("Lampu jalan mati di Jl. Merdeka", "Got mampet di Jl. Kenanga"):
        await h.post_signed("/v1/web/reports", {"text": text})

    async def two_dead() -> bool:
        return len(await h.gw.store.dead_letters(10)) == 2

    await wait_until(two_dead)
    c = client_factory(h)
    await c.login()
    fake_core.state.mode = "ok"
    status, _, resp = await c.post("/console/dead-letters/replay", {"all": "1", "csrf": c.csrf})
    assert status == 303 and resp.headers["Location"].endswith("done=replayed&count=2")
    status, _, resp = await c.post("/console/held/release", {"all": "1", "csrf": c.csrf})
    assert status == 303 and resp.headers["Location"].endswith("done=released&count=0")
    entries = [(e["action"], e["target"], e.get("count")) for e in audit(h)]
    assert ("replay", "all", 2) in entries and ("release", "all", 0) in entries
    await wait_until(lambda: _cases(fake_core, 2))


async def _cases(core: FakeCore, n: int) -> bool:
    return len(core.state.cases) == n
