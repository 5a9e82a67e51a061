"""Intake throughput with 10,000 vs 1,000,000 stored reports (duplicate + similarity path).

    .venv/bin/python bench/dedup_scale.py [--sizes 10000 1000000] [--reports 2000]
                                          [--workdir DIR] [--keep]

For each size a SQLite file with the gateway's real schema is synthesized with
``executemany`` (reports, inbound keys, reporter identities: all inside the last 30 days,
so every stored report is inside both the level-2 query range and the similarity window).
Then, exactly as ``lapor-gateway run`` does:

1. the real :class:`~gateway.store.sqlite.SqliteStore` opens the file and
   :meth:`Linker.warm` builds the MinHash LSH index from it (timed, printed; the forwarder
   process does this at start);
2. ``--reports`` new SMS reports are submitted through :meth:`Pipeline.submit` with 32 in
   flight (group commit, fsync, level-1 key check, level-2 prior query on
   ``report_identities``, insert, outbox rows), then forwarded by the relay to the embedded
   case store with the :class:`~gateway.linker.Linker` (level-3 LSH query leaving out
   the reporter's own reports, index add, the links stored with the outcome). A third of them come from phones
   already in the store, some as resends, so level 2 does real work.

Printed per size: warm-up time, throughput of the whole path (reports filed *and*
forwarded per second, best of 3 rounds) and the dedup work alone (prior query, level-2
decision, level-3 links; microseconds per report, median), then the ratio 1M / 10k for
both. The issue's bar: the large store keeps >= 80 % of the small store's throughput.

Synthetic texts combine ~40 complaint templates with ~3,000 street names and 500 regions,
so LSH buckets fill the way real complaints do (many "lampu jalan mati" reports): the
``max_candidates`` cap, not luck, keeps queries bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import Config
from gateway.dedup import Deduplicator
from gateway.delivery import GatewayDeliverer
from gateway.linker import Linker
from gateway.pipeline import Pipeline
from gateway.sections import DedupSection
from gateway.store import queries as q
from gateway.store.schema import migrate
from gateway.store.sqlite import SqliteStore
from normalizer.report import Channel, Location, ReplyAddress, Report, Reporter
from normalizer.tracking import new_tracking_id
from outbox.backoff import RetryPolicy
from outbox.jobs import CORE_TARGET
from outbox.relay import Relay

PROBLEMS = [
    "lampu jalan di {s} mati sudah {n} minggu, gelap sekali kalau malam",
    "jalan {s} rusak parah dan berlubang, sudah banyak motor jatuh",
    "sampah menumpuk di {s} tidak diangkut {n} hari, bau busuk",
    "selokan di {s} mampet, kalau hujan air meluap ke rumah warga",
    "air pdam di {s} tidak mengalir sejak {n} hari",
    "listrik padam terus di {s} hampir setiap malam",
    "pohon besar di {s} miring dan hampir tumbang",
    "parkir liar di {s} bikin macet setiap pagi",
    "pedagang kaki lima menutup trotoar di {s}",
    "banjir setinggi lutut di {s} setiap hujan deras",
    "pungutan liar rp {n}0000 untuk surat pindah di kelurahan {s}",
    "pelayanan ktp di kecamatan {s} lambat, antri {n} jam",
    "puskesmas {s} menolak pasien bpjs karena kuota penuh",
    "guru honorer sd negeri {s} belum digaji {n} bulan",
    "lampu lalu lintas di simpang {s} mati, lalu lintas kacau",
    "jembatan di {s} lapuk dan miring, bahaya untuk anak sekolah",
    "bansos di {s} tidak tepat sasaran, warga miskin tidak dapat",
    "angkot jurusan {s} menaikkan tarif sepihak",
    "limbah pabrik mencemari sumur warga di {s}",
    "karaoke di {s} bising sampai jam {n} pagi",
    "trotoar di {s} ambles dan paving lepas",
    "got di {s} tersumbat sampah plastik",
    "jalan {s} tergenang air setiap hujan karena drainase buruk",
    "tiang listrik di {s} miring hampir roboh",
    "kabel listrik menjuntai rendah di {s}",
    "aspal jalan {s} mengelupas dan bergelombang",
    "tps di {s} penuh, sampah meluber ke jalan",
    "air pdam di {s} keruh dan berbau",
    "anak jalanan mengamen memaksa di perempatan {s}",
    "bangunan liar berdiri di bantaran sungai {s}",
    "rumah sakit {s} meminta biaya tambahan pasien bpjs",
    "sekolah {s} meminta uang gedung {n} juta",
    "petugas kelurahan {s} tidak ada di tempat saat jam kerja",
    "antrian samsat {s} panjang, sistem sering error",
    "jalan menuju {s} gelap tanpa lampu penerangan",
    "saluran irigasi {s} rusak, sawah warga kering",
    "truk tambang merusak jalan desa {s}",
    "pasar {s} becek dan kumuh tidak terawat",
    "halte bus {s} rusak dan atapnya bocor",
    "taman kota {s} tidak terawat dan banyak sampah",
]
SYLLABLES = "ci ba ra su ma ka ja ti sa wa ngi lo pe du ri".split()
_NAMES = random.Random(7)
STREETS = sorted(
    {
        _NAMES.choice(["jalan ", "gang ", "jl "])
        + "".join(_NAMES.choices(SYLLABLES, k=3))
        + f" {_NAMES.randrange(50)}"
        for _ in range(3000)
    }
)
REGIONS = [f"region-{i}" for i in range(500)]
WORDS_EXTRA = "mohon segera ditindaklanjuti tolong pak bu warga resah sudah lama".split()


def synth_text(rng: random.Random) -> str:
    template = rng.choice(PROBLEMS)
    text = template.format(s=rng.choice(STREETS), n=rng.randint(1, 9))
    return text + " " + " ".join(rng.sample(WORDS_EXTRA, rng.randint(0, 3)))


def synthesize(path: Path, size: int, seed: int = 1) -> list[str]:
    """Write *size* reports into a fresh SQLite file; returns the phone pool."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    migrate(conn)
    phones = [f"+62812{rng.randrange(10**7):07d}" for _ in range(max(10, size // 3))]
    now = datetime.now(UTC)
    conn.execute("BEGIN")
    batch_r: list[tuple[object, ...]] = []
    batch_k: list[tuple[object, ...]] = []
    batch_i: list[tuple[object, ...]] = []
    created = time.time()

    def flush() -> None:
        conn.executemany(
            "INSERT INTO reports (tracking_id, channel, transport, external_id, received_at, "
            "status, status_at, anonymous, confidential, throttled, duplicate_of, region, "
            "category, body, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            batch_r,
        )
        conn.executemany(
            "INSERT INTO inbound_keys (key, tracking_id, body_hash, created_at) VALUES (?,?,?,?)",
            batch_k,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO report_identities (identity, received_at, tracking_id) "
            "VALUES (?,?,?)",
            batch_i,
        )
        batch_r.clear()
        batch_k.clear()
        batch_i.clear()

    used: set[str] = set()
    for i in range(size):
        tid = new_tracking_id()
        while tid in used:  # ~5 birthday collisions per million random IDs
            tid = new_tracking_id()
        used.add(tid)
        at = (now - timedelta(seconds=rng.uniform(60, 29 * 86400))).isoformat()
        phone = rng.choice(phones)
        region = rng.choice(REGIONS)
        text = synth_text(rng)
        body = json.dumps(
            {
                "tracking_id": tid,
                "channel": "sms",
                "transport": "bench",
                "received_at": at,
                "reporter": {"phone": phone},
                "text": text,
                "location": {"region": region},
            }
        )
        row = (tid, "sms", "bench", None, at, "received", at, 0, 0, 0, None, region, None)
        batch_r.append((*row, body, created))
        batch_k.append((f"bench:{i}", tid, None, created))
        batch_i.append((f"phone:{phone}", at, tid))
        if len(batch_r) >= 20_000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return phones


def new_reports(count: int, phones: list[str], seed: int) -> list[Report]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        known = rng.random() < 1 / 3
        phone = rng.choice(phones) if known else f"+62813{rng.randrange(10**7):07d}"
        out.append(
            Report(
                channel=Channel.SMS,
                transport="bench",
                text=synth_text(rng),
                reporter=Reporter(phone=phone),
                location=Location(region=rng.choice(REGIONS)),
                reply_to=ReplyAddress(adapter="sms.smpp", address=phone),
            )
        )
    # some resends of the round's own reports: level-2 duplicates
    for r in rng.sample(out, count // 10):
        out.append(r.model_copy(update={"received_at": datetime.now(UTC)}))
    return out


async def measure(path: Path, phones: list[str], n: int, rounds: int = 3) -> dict[str, float]:
    config = Config()
    store = SqliteStore(path)
    await store.open()
    dedup = Deduplicator(config.dedup)
    pipeline = Pipeline(store, config, dedup=dedup)
    linker = Linker(config.dedup)
    t0 = time.perf_counter()
    indexed = await linker.warm(store)
    warm_s = time.perf_counter() - t0
    relay = Relay(
        store,
        GatewayDeliverer(store, {}, None, case_store=store, linker=linker),
        policy_for=lambda _: RetryPolicy(1.0, 1.0, 3),
        batch_size=500,
        only_targets=frozenset({CORE_TARGET}),
    )
    rates = []
    for rnd in range(rounds):
        reports = new_reports(n, phones, seed=100 + rnd)
        sem = asyncio.Semaphore(32)

        async def one(i: int, r: Report, rnd: int = rnd, sem: asyncio.Semaphore = sem) -> None:
            async with sem:
                await pipeline.submit(r, inbound_key=f"bench:new:{rnd}:{i}")

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, r) for i, r in enumerate(reports)))
        while await relay.run_once():
            pass
        rates.append(len(reports) / (time.perf_counter() - t0))
    await store.close()
    path_us = dedup_path_us(path, dedup, linker, phones, config.dedup)
    return {"warm_s": warm_s, "indexed": indexed, "rate": max(rates), "path_us": path_us}


def dedup_path_us(
    path: Path, dedup: Deduplicator, linker: Linker, phones: list[str], cfg: DedupSection
) -> float:
    """Median microseconds of the dedup work alone: the prior query and the level-2
    decision (intake), the level-3 links and index add (forward)."""
    conn = sqlite3.connect(path)
    samples = []
    since = datetime.now(UTC) - timedelta(hours=cfg.window_hours)
    for i, r in enumerate(new_reports(1000, phones, seed=999)):
        t0 = time.perf_counter()
        prior = q.prior_reports(conn, r.reporter.identity_keys(), since)
        decision = dedup.decide(r, prior, dedup.prepare(r))
        filed = r.model_copy(
            update={"tracking_id": f"probe{i}", "duplicate_of": decision.duplicate_of}
        )
        linker.link(filed)
        samples.append((time.perf_counter() - t0) * 1e6)
    conn.close()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 1_000_000])
    parser.add_argument("--reports", type=int, default=2000, help="new reports per round")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the synthesized databases")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dedup-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        for size in args.sizes:
            path = work / f"store-{size}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            t0 = time.perf_counter()
            phones = synthesize(path, size)
            synth_s = time.perf_counter() - t0
            res = asyncio.run(measure(path, phones, args.reports))
            results[size] = res
            print(
                f"{size:>9,} stored: synthesized in {synth_s:6.1f} s, index warm-up "
                f"{res['warm_s']:6.1f} s ({int(res['indexed']):,} indexed); filed+forwarded "
                f"{res['rate']:7.0f} reports/s; dedup path {res['path_us']:6.0f} us/report",
                flush=True,
            )
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    small, large = (results[s] for s in args.sizes)
    ratio = large["rate"] / small["rate"]
    path_ratio = small["path_us"] / large["path_us"]
    print(
        f"throughput ratio {args.sizes[1]:,} / {args.sizes[0]:,}: {ratio:.2f} "
        f"({'meets' if ratio >= 0.8 else 'MISSES'} the >= 0.80 bar)"
    )
    print(f"dedup path speed ratio (small time / large time): {path_ratio:.2f}")


if __name__ == "__main__":
    main()
