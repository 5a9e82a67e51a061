"""Synthetic complaint texts for the duplicate-detection benchmarks (scale and memory).

What the level-2/3 code spends its time on depends on the text, so the texts carry what
real complaints carry: ~40 problems, streets and gangs, RT/RW, a desa and kecamatan (or a
kabupaten/kota) taken from the packaged gazetteer so region resolution has real work to
do, landmarks, rupiah amounts written several ways, documents and agencies, a recipient's
name and NIK on the bansos template, SMS shorthand, and formal web letters with a header and
a sign-off. Everything comes from a seeded ``random.Random``: a run is reproducible.
"""

from __future__ import annotations

import gzip
import random
from functools import cache
from importlib import resources

PROBLEMS = [
    "lampu jalan di {s} mati sudah {n} minggu, gelap sekali kalau malam",
    "jalan {s} rusak parah dan berlubang, sudah banyak motor jatuh",
    "sampah menumpuk di {s} tidak diangkut {n} hari, bau busuk",
    "selokan di {s} mampet, kalau hujan air meluap ke rumah warga",
    "air pdam di {s} tidak mengalir sejak {n} hari, tagihan tetap {a}",
    "listrik padam terus di {s} hampir setiap malam, pln tidak datang",
    "pohon besar di {s} miring dan hampir tumbang",
    "parkir liar di {s} bikin macet setiap pagi, tukang parkir minta {a}",
    "pedagang kaki lima menutup trotoar di {s}",
    "banjir setinggi lutut di {s} setiap hujan deras",
    "pungutan liar {a} untuk surat pindah di kantor kelurahan, rumah saya di {s}",
    "pelayanan ktp-el di kecamatan lambat, antri {n} jam, saya warga {s}",
    "puskesmas dekat {s} menolak pasien bpjs karena kuota penuh",
    "guru honorer sdn {n} di {s} belum digaji {n} bulan",
    "lampu lalu lintas di simpang {s} mati, lalu lintas kacau",
    "jembatan di {s} lapuk dan miring, bahaya untuk anak sekolah",
    "bantuan pkh tahap {n} a.n. {p} nik {nik} warga {s} belum cair",
    "blt dana desa untuk {p} di {s} dipotong {a} oleh oknum",
    "angkot jurusan {s} menaikkan tarif sepihak jadi {a}",
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
    "rsud meminta biaya tambahan {a} untuk pasien bpjs dari {s}",
    "sekolah di {s} meminta uang gedung {a}",
    "petugas kelurahan tidak ada di tempat saat jam kerja, saya dari {s}",
    "pembuatan sim di satlantas polres dipungut {a}, saya warga {s}",
    "pembuatan skck di polsek dipungut {a}, alamat {s}",
    "saluran irigasi {s} rusak, sawah warga kering",
    "truk tambang merusak jalan desa di {s}",
    "pasar dekat {s} becek dan kumuh tidak terawat",
    "halte bus di {s} rusak dan atapnya bocor",
]
HEADERS = [
    "Yth. Admin LAPOR!, saya {p}, warga {s}. Dengan ini saya melaporkan bahwa",
    "Selamat siang bapak/ibu, saya ingin melaporkan",
    "Kepada Yth. Bapak Walikota, mohon perhatiannya,",
    "assalamualaikum min,",
    "",
    "",
    "",
]
FOOTERS = [
    "Mohon segera ditindaklanjuti. Terima kasih. Hormat saya, {p}",
    "mhn diperbaiki. trims - pak {q} ketua rt {rt}",
    "tolong pak, warga sudah resah",
    "sdh lapor ke rt tp blm ada tindakan",
    "",
    "",
]
SHORTHAND = {
    "sudah": "sdh",
    "tidak": "tdk",
    "dengan": "dgn",
    "yang": "yg",
    "belum": "blm",
    "tolong": "tlg",
    "mohon": "mhn",
    "rumah": "rmh",
    "warga": "wrg",
    "sampai": "smp",
    "karena": "krn",
}
SYLLABLES = "ci ba ra su ma ka ja ti sa wa ngi lo pe du ri".split()
GIVEN = "siti aminah budi santoso dewi lestari agus wahyudi rina yanti darto slamet nur".split()
_NAMES = random.Random(7)
STREETS = sorted(
    {
        _NAMES.choice(["jalan ", "gang ", "jl. ", "jl "])
        + "".join(_NAMES.choices(SYLLABLES, k=3))
        + _NAMES.choice(["", " raya", f" {_NAMES.randrange(50)}"])
        for _ in range(3000)
    }
)


@cache
def _gazetteer_places() -> list[tuple[str, str, str]]:
    """(desa, kecamatan, kabupaten/kota) names of a fixed sample of 3,000 desa."""
    data = resources.files("normalizer").joinpath("data/regions.tsv.gz").read_bytes()
    names: dict[str, str] = {}
    desa: list[str] = []
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        code, _, name = line.partition("\t")
        names[code] = name
        if len(code) == 13:
            desa.append(code)
    picked = random.Random(11).sample(desa, 3000)
    return [(names[c], names[c[:8]], names[c[:5]]) for c in picked]


def _amount(rng: random.Random) -> str:
    n = rng.choice([5, 10, 20, 25, 50, 75, 100, 150, 250, 500, 780])
    form = rng.randrange(4)
    if form == 0:
        return f"Rp {n * 1000:,}".replace(",", ".")
    if form == 1:
        return f"{n}rb"
    if form == 2:
        return f"{n} ribu"
    return f"rp{n}.000"


def _person(rng: random.Random) -> str:
    return " ".join(rng.sample(GIVEN, 2))


def _where(rng: random.Random) -> str:
    """A street, often with RT/RW, and often the desa/kecamatan or the kabupaten/kota."""
    parts = [rng.choice(STREETS)]
    if rng.random() < 0.4:
        parts.append(f"RT {rng.randint(1, 15):02d} RW {rng.randint(1, 9):02d}")
    desa, kec, kab = rng.choice(_gazetteer_places())
    roll = rng.random()
    if roll < 0.35:
        parts.append(f"{rng.choice(['kel.', 'desa', 'kelurahan', 'ds'])} {desa} kec. {kec}")
    elif roll < 0.55:
        parts.append(kab)
    return " ".join(parts)


def synth_text(rng: random.Random) -> str:
    """One complaint: SMS shorthand about two thirds of the time, else a formal letter."""
    fill = {
        "s": _where(rng),
        "n": rng.randint(1, 9),
        "a": _amount(rng),
        "p": _person(rng),
        "nik": f"3216{rng.randrange(10**12):012d}",
    }
    body = rng.choice(PROBLEMS).format(**fill)
    if rng.random() < 2 / 3:
        words = [SHORTHAND.get(w, w) if rng.random() < 0.7 else w for w in body.split()]
        footer = rng.choice(FOOTERS[1:])
        text = " ".join(words) + (" " + footer if footer else "")
    else:
        header = rng.choice(HEADERS)
        footer = rng.choice(FOOTERS)
        text = " ".join(x for x in (header, body[0].upper() + body[1:] + ".", footer) if x)
    return text.format(
        p=_person(rng).title(), q=rng.choice(GIVEN), rt=f"{rng.randint(1, 15):02d}", s=fill["s"]
    )
