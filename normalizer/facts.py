"""Discriminating facts in a complaint's text: what tells two similar complaints apart.

Word similarity cannot tell "bantuan PKH a.n. Siti Aminah NIK 3216..." from the same template
about another recipient, nor "SIM di Satlantas Polres Bogor dipungut 50rb" from "SKCK di
Polsek Cileungsi dipungut 50rb". Duplicate detection therefore compares *facts* first:

* ``ids`` -- NIK/KK, NPWP, BPJS card, PLN/PDAM customer and vehicle plate numbers. Another
  number of the same kind means another person, account or vehicle: another complaint.
* ``names`` -- the person a complaint is about ("a.n.", "atas nama", "nama penerima").
  Another name means another recipient. A writer introducing themself ("nama saya ...", a
  "Nama:" form line) is the reporter, not the subject, and is not taken.
* ``places`` -- jalan, gang, RT, RW, desa/kelurahan, dusun/kampung, kecamatan, kabupaten,
  kota, provinsi and named landmarks (SDN 3 Cibinong, Puskesmas Cileungsi, Polsek ...).
  Another kelurahan or another school is another problem; the same street or landmark named
  by several citizens is strong evidence of one local problem.
* ``agencies`` and ``documents`` -- the office complained about and the service asked for.
  A SIM at Satlantas and an SKCK at a Polsek are two complaints however alike the words.
* ``amounts`` -- rupiah figures, written any way citizens write them ("Rp 780.000",
  "780rb", "1,5 jt"), so a formal re-send and its SMS shorthand share the figure.

Every value carries its kind (``"nik:3216..."``, ``"desa:sukamaju"``) so that only values of
one kind are ever compared. Extraction is pure, deterministic and regex-driven: a miss only
costs evidence, so every rule prefers missing a fact to inventing one. Sign-offs count like
any other text ("ketua rt 02" gives ``rt:2``): the writer's own RT is usually where the
problem is. A reporter's own NIK in a letter header is extracted like any other NIK.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Facts", "conflicts", "extract_facts", "shared_specific"]


@dataclass(frozen=True, slots=True)
class Facts:
    """Kind-prefixed facts of one complaint; see the module docstring for each kind."""

    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    amounts: frozenset[int] = frozenset()


_F = re.IGNORECASE
# a letter (any script); "not preceded/followed by a letter" is our word edge, so "rt02" and
# "dirt 02" (after the di-split) still match while "kertas" does not.
_NL = r"(?<![^\W\d_])"
_NR = r"(?![^\W\d_])"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: words that never start or continue a place, landmark or person name: function words,
#: pronouns, time words and the problem words that follow a place in a complaint.
_STOP = _words(
    """
    yang yg di ke dari dr dan n dgn dengan sudah sdh udah udh dah belum blm tidak tdk ga gak
    gk nggak ngga enggak ada tapi tp tpi sejak sjk sampai sampe smp hingga untuk utk karena
    krn pada pd oleh sebagai sbg ini itu tsb tersebut nya setempat sekitar sekitarnya kami
    kita saya sy aku mereka dia warga masyarakat bapak bpk pak ibu bu mohon mhn tolong tlg
    segera sgr harap mau akan sedang lagi lg masih msh juga jg sangat sgt sekali bgt banget
    parah rusak rsk berlubang bolong lubang licin macet banjir tergenang genangan longsor
    gelap mati padam bocor mampet tersumbat kotor bau sampah retak amblas ambles becek
    hancur sempit kecil besar buntu lama baru sebelah sblh depan dpn belakang blkg samping
    dekat dkt deket dalam luar atas bawah arah menuju antara hari hr minggu bulan bln tahun
    thn th jam pagi siang sore malam kemarin kmrn kmr sekarang skrg tadi telah pernah selalu
    sering kali kok dong deh sih ya yah tuh pun lah bisa dapat dpt perlu harus hrs agar
    supaya biar jadi jd namun atau serta semua setiap banyak byk bnyk no nomor nmr nomer
    km blok kav tetangga halaman kampung lain lainnya tsb terkait meluap rt rw nik kk
    lapor laporan melapor melaporkan terima kasih trims makasih terimakasih salam hormat
    admin yth ketua kepala umur usia tgl tanggal lahir lhr bin binti alamat almt status
    tahap selaku belum tak jg pula air listrik dimana mana kapan apa siapa bagaimana gimana
    sebesar senilai rp terdaftar menerima penerima diterima dapat mendapat mendapatkan
    tinggal beralamat berdomisili domisili lambat lelet jelek buruk kumuh tutup buka mahal
    naik turun kosong penuh antri antre antrian pungli mogok hilang kurang minim susah sulit
    cair libur korupsi bansos bantuan tagihan lampu pju sekolah guru dokter pasien siswa anak
    orang petugas pegawai oknum pejabat kades rumah rmh sawah kebun got selokan saluran
    drainase irigasi pohon tiang kabel trotoar parkir liar pedagang dll sdgkan sedangkan
    """
)

#: a place value made only of one of these is a description, not a name ("jalan raya").
_GENERIC_ALONE = _words(
    """
    raya utama umum desa kampung lingkungan poros setapak tol protokol nasional provinsi
    kabupaten alternatif pintas masuk keluar lurus kaki layang negeri swasta induk pembantu
    """
)

_NAME_ABBREV = _words("kh h hj dr ir st m moh muh mochamad drs prof a. r. s.")

# --- preprocessing ------------------------------------------------------------------------

_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)[@#]\w+", _F)
# "dikel sukamaju", "dirt 02", "dijl.merdeka", "kekantor desa": split di/ke from a place word
_GLUED = re.compile(
    _NL + r"(di|ke)(?=(?:jl|jln|jalan|gg|gang|rt|rw|kel|kelurahan|desa|ds|dusun|dsn|kec|"
    r"kecamatan|kab|kabupaten|kota|sdn|smpn|sman|smkn|puskesmas|pusk|rsud|polsek|polres|"
    r"pasar|kantor|masjid|perum|perumahan|komplek|kampung|samsat|satlantas)(?![^\W_]*[^\W\d_]{3}))",
    _F,
)

# --- ids ------------------------------------------------------------------------------------

_NIK = re.compile(r"(?<![\d.,])(\d{4}[ .-]?\d{4}[ .-]?\d{4}[ .-]?\d{4})(?![\d])")
_KK_CONTEXT = re.compile(r"\bkk\b|kartu\s+keluarga", _F)
_NIK_CONTEXT = re.compile(r"\bnik\b|ktp", _F)
_NPWP = re.compile(
    r"(?<![\d.])(\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3})(?![\d])"
    r"|\bnpwp\b\W{0,6}(\d[\d .-]{13,20}\d)(?!\d)",
    _F,
)
_BPJS_NO = re.compile(
    r"\b(?:bpjs|kis|jkn|noka)\b(?:\W+(?:kesehatan|ketenagakerjaan|kes|tk|no|nomor|nmr|"
    r"kartu|peserta|noka))*\W{1,6}(\d{13})(?!\d)",
    _F,
)
_PELANGGAN = re.compile(
    r"\b(?:id\s*pel(?:anggan)?|no(?:mor|\.)?\s*pel(?:anggan)?|no(?:mor|\.)?\s*sambungan|"
    r"nosamb|no(?:mor|\.)?\s*meter(?:an)?)\b(?:\W+(?:pln|pdam|listrik|air))?\W{0,6}"
    r"(\d{6,13})(?!\d)",
    _F,
)
_PLATE = re.compile(r"\b([a-z]{1,2}) ?(\d{1,4}) ?([a-z]{1,3})\b", _F)
_PLATE_CONTEXT = re.compile(
    r"plat|nopol|no\.?\s*pol\b|nomor\s+polisi|tnkb|motor|mobil|kendaraan|truk|angkot|bus\b", _F
)
_PLATE_REGIONS = _words(
    """
    a b d e f g h k l m n p r s t w z aa ab ad ae ag ba bb bd be bg bh bk bl bm bn bp da db
    dd de dg dh dk dl dm dn dr ds dt ea eb ed kb kh kt ku pa pb
    """
)

# --- names ----------------------------------------------------------------------------------

_NAME_KEY = re.compile(
    r"(?<![\w-])(?:a\s?\.\s?n\b\.?|a/n\b|an\.|atas\s+nama\b|"
    r"nama\b(?:\s+(penerima|lengkap|pasien|anak|siswa|murid|korban|pemilik|pemohon|peserta|"
    r"almarhum|alm|suami|istri|ibu|ayah|kepala\s+keluarga|pelapor|saya|sy|kami|aku))?)"
    r"[ \t]*[:=]?",
    _F,
)
_SELF = _words("pelapor saya sy kami aku")
_HONORIFIC = _words("bpk bapak pak ibu bu ny nyonya sdr sdri saudara saudari tn tuan alm almh")

# --- places ---------------------------------------------------------------------------------

_PLACE_ALIASES: dict[str, tuple[str, ...]] = {
    "jalan": ("jalan", "jln", "jl", "jlan"),
    "gang": ("gang", "gg"),
    "desa": ("desa", "ds", "kelurahan", "kel", "kelurhn", "klurahan", "lurah"),
    "dusun": ("dusun", "dsn", "kampung"),
    "kecamatan": ("kecamatan", "kec", "kcmtn", "kecmatan"),
    "kabupaten": ("kabupaten", "kab", "pemkab"),
    "kota": ("kota", "kot", "pemkot"),
    "provinsi": ("provinsi", "propinsi", "prov", "prop"),
}
_PLACE_CANON = {a: kind for kind, aliases in _PLACE_ALIASES.items() for a in aliases}
_PLACE_KEY = re.compile(
    _NL + r"(" + "|".join(sorted(_PLACE_CANON, key=len, reverse=True)) + r")\b\.?", _F
)
#: how many words a place name may have; gang names may carry a number ("gg. mawar 3")
_PLACE_MAX_WORDS = {"jalan": 4, "gang": 3, "provinsi": 3}
_RT_RW = re.compile(
    _NL + r"rt\s*/\s*rw\b\.?\s*[:.]?\s*(\d{1,3})\s*/\s*(\d{1,3})(?!\d)"
    r"|" + _NL + r"rt\b\.?\s*[:.]?\s*(\d{1,3})\s*/\s*(?:rw\b\.?\s*[:.]?\s*)?(\d{1,3})(?![\d/])",
    _F,
)
_RT = re.compile(_NL + r"(rt|rw)(?:\b\.?)?\s*[:.]?\s*(\d{1,3})(?![\d/])", _F)

#: landmark institution words -> canonical; a numbered SD/SMP/SMA/SMK is a state school.
_LANDMARK_ALIASES: dict[str, tuple[str, ...]] = {
    "sdn": ("sdn", "sd negeri", "sd n"),
    "smpn": ("smpn", "smp negeri", "smp n"),
    "sman": ("sman", "sma negeri", "sma n"),
    "smkn": ("smkn", "smk negeri", "smk n"),
    "mts": ("mtsn", "mts"),
    "puskesmas": ("puskesmas", "pusk", "pustu"),
    "rsud": ("rsud", "rs umum daerah", "rumah sakit umum daerah"),
    "rs": ("rumah sakit", "rsu", "rsia", "rs"),
    "polsek": ("polsek",),
    "polres": ("polrestabes", "polresta", "polres"),
    "polda": ("polda",),
    "koramil": ("koramil",),
    "kodim": ("kodim",),
    "pasar": ("pasar",),
    "terminal": ("terminal",),
    "stasiun": ("stasiun",),
    "masjid": ("masjid", "mesjid", "msjd"),
    "mushola": ("musholla", "mushola", "mushalla", "musala", "surau"),
    "gereja": ("gereja",),
    "kantor desa": ("kantor desa", "balai desa"),
    "kantor kelurahan": ("kantor kelurahan", "kantor lurah"),
    "kantor kecamatan": ("kantor kecamatan", "kantor camat"),
    "jembatan": ("jembatan",),
    "posyandu": ("posyandu",),
    "perumahan": ("perumahan", "perum"),
    "komplek": ("kompleks", "komplek", "komp"),
    "sungai": ("sungai",),
    "tpu": ("tpu",),
    "lapangan": ("lapangan",),
}
_SCHOOL_NUMBERED = re.compile(_NL + r"(sd|smp|sma|smk)\s*(\d{1,3})(?!\d)", _F)

#: admin words an office may carry before its name ("puskesmas kec. cileungsi")
_LANDMARK_SKIP = _words("kec kecamatan kel kelurahan desa ds kota kab kabupaten")
_LANDMARK_SKIPPING = _words("puskesmas rsud polsek polres polda koramil kodim")

# --- agencies and documents ---------------------------------------------------------------

_AGENCY_ALIASES: dict[str, tuple[str, ...]] = {
    "satlantas": ("satlantas", "sat lantas", "polantas"),
    "polsek": ("polsek",),
    "polres": ("polrestabes", "polresta", "polres"),
    "polda": ("polda",),
    "dukcapil": ("disdukcapil", "dukcapil", "capil", "dinas kependudukan"),
    "samsat": ("samsat",),
    "pdam": ("pdam", "perumda air minum", "perumda tirta"),
    "pln": ("pln",),
    "bpjs": ("bpjs",),
    "dinas pu": ("dinas pu", "dinas pupr", "dpupr", "dpu", "pupr", "dinas pekerjaan umum",
                 "bina marga"),
    "dinsos": ("dinsos", "dinas sosial"),
    "dinkes": ("dinkes", "dinas kesehatan"),
    "disdik": ("disdik", "dinas pendidikan", "diknas"),
    "dishub": ("dishub", "dinas perhubungan"),
    "dlh": ("dlh", "dinas lingkungan hidup"),
    "disnaker": ("disnaker", "dinas tenaga kerja"),
    "bapenda": ("bapenda", "dispenda"),
    "puskesmas": ("puskesmas", "pusk", "pustu"),
    "rsud": ("rsud",),
    "kua": ("kua",),
    "bpn": ("atr/bpn", "bpn", "kantor pertanahan", "kantah"),
    "kantor desa": ("kantor desa", "balai desa", "kantor kelurahan", "kantor lurah", "pemdes"),
    "kantor kecamatan": ("kantor kecamatan", "kantor camat"),
    "satpol pp": ("satpol pp", "satpol", "pol pp"),
    "bpbd": ("bpbd",),
    "damkar": ("damkar", "pemadam kebakaran"),
    "imigrasi": ("imigrasi",),
    "kemenag": ("kemenag",),
    "pemda": ("pemda", "pemkab", "pemkot", "pemprov"),
}
#: agencies compared with each other: a Polsek and a Polres are two offices, but a PDAM
#: complaint that mentions "lapor ke kantor desa" is not thereby about another office.
_AGENCY_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"polsek", "polres", "polda"}),
    frozenset({"pdam", "pln"}),
    frozenset({"puskesmas", "rsud"}),
    frozenset({"dinas pu", "dinsos", "dinkes", "disdik", "dishub", "dlh", "disnaker",
               "dukcapil", "bapenda"}),
    frozenset({"kantor desa", "kantor kecamatan"}),
)

_DOCUMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "sim": ("sim",),
    "skck": ("skck",),
    "ktp": ("ktp-el", "ktp el", "ktpel", "e-ktp", "e ktp", "ektp", "ktp",
            "kartu tanda penduduk"),
    "kk": ("kartu keluarga", "kk"),
    "akta kematian": ("akta kematian", "akte kematian"),
    "buku nikah": ("akta nikah", "akte nikah", "buku nikah"),
    "akta": ("akta kelahiran", "akte kelahiran", "akta lahir", "akte lahir", "akta", "akte"),
    "bpjs": ("kartu bpjs", "bpjs"),
    "kis": ("kis",),
    "kip": ("kip",),
    "pkh": ("pkh",),
    "blt": ("blt-dd", "blt dd", "blt",),
    "bpnt": ("bpnt",),
    "sktm": ("sktm",),
    "npwp": ("npwp",),
    "paspor": ("paspor", "pasport", "passport"),
    "sertifikat": ("sertifikat", "sertipikat"),
    "imb": ("imb", "pbg"),
    "stnk": ("stnk",),
    "bpkb": ("bpkb",),
}


def _alias_regex(aliases: dict[str, tuple[str, ...]], extra: str = "") -> re.Pattern[str]:
    """One alternation of every alias, longest first; spaces and hyphens inside an alias
    match any run of spaces/hyphens ("ktp-el", "ktp el", "ktpel")."""
    flat = sorted({a for group in aliases.values() for a in group}, key=len, reverse=True)
    body = "|".join(r"[\s-]*".join(map(re.escape, _SEP.split(a))) for a in flat)
    return re.compile(_NL + r"(" + body + r")" + extra + r"(?![^\W_])", _F)


def _alias_canon(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_SEP.sub("", a): kind for kind, group in aliases.items() for a in group}


_SEP = re.compile(r"[\s-]+")
_LANDMARK_KEY = _alias_regex(_LANDMARK_ALIASES, r"\.?")
_LANDMARK_CANON = _alias_canon(_LANDMARK_ALIASES)


_AGENCY = _alias_regex(_AGENCY_ALIASES)
_AGENCY_CANON = _alias_canon(_AGENCY_ALIASES)
# "kartu sim" / "sim card" is a phone SIM, not a driving licence
_DOCUMENT = _alias_regex(_DOCUMENT_ALIASES, r"(?!\s*card)")
_DOCUMENT_CANON = _alias_canon(_DOCUMENT_ALIASES)
_KARTU_SIM = re.compile(r"kartu\s+$", _F)

# --- amounts --------------------------------------------------------------------------------

_NUM = r"((?>\d+(?:[.,]\d+)*))"
_UNITS: dict[str, int] = {
    "rb": 1_000, "rbu": 1_000, "ribu": 1_000, "rebu": 1_000, "rban": 1_000, "ribuan": 1_000,
    "k": 1_000, "jt": 1_000_000, "jta": 1_000_000, "juta": 1_000_000, "jutaan": 1_000_000,
    "m": 1_000_000_000, "miliar": 1_000_000_000, "milyar": 1_000_000_000,
    "rupiah": 1, "perak": 1,
}
_SPACED_UNIT = r"rb|rbu|ribu|rebu|rban|ribuan|jt|jta|juta|jutaan|miliar|milyar|rupiah|perak"
_RP = re.compile(
    _NL + r"(?:rp|idr)\.?\s*" + _NUM + r"(?:,-+)?(?:\s*(" + _SPACED_UNIT + r")|(k|m))?"
    + _NR,
    _F,
)
_UNIT = re.compile(
    r"(?<![\d.,])" + _NUM + r"(?:\s*(" + _SPACED_UNIT + r")|(k))" + _NR, _F
)
# "1 jt 500 rb", "1jt500": one amount, not two
_JT_RB = re.compile(
    r"(?<![\d.,])(\d{1,3})\s*(?:jt|juta)\s*(?:(\d{1,3})\s*(?:rb|ribu|k)|(\d{3}))(?!\d)" + _NR, _F
)
_MONEY_CONTEXT = re.compile(
    _NL + r"(?:bayar|membayar|dibayar|byr|pungut|dipungut|pungutan|pungli|biaya|biayanya|"
    r"tarif|harga|diminta|dimintai|minta|tagihan|tagihannya|denda|uang|sebesar|senilai|"
    r"iuran|setor|nyetor|ongkos|sogok|suap|tebus|menebus|dikenakan|dikenai)"
    r"(?:\W+[^\W\d_]+){0,3}?[^\w\d]*" + _NUM + r"(?!\s*%|[/-]\d|[^\W\d_])",
    _F,
)


# --- helpers ----------------------------------------------------------------------------------

# an affixed verb after the first word of a name ends it ("polres bogor dipungut"); the
# first word is always kept, since some place names look affixed (Menteng, Dipatiukur)
_VERB = re.compile(r"(?:di|ber)[a-z]{4,}|(?:ter|me)[a-z]{5,}|[a-z]{3,}(?:kan|nya)$")
_WORD = re.compile(r"[ \t]*([^\W_]+(?:['’-][^\W_]+)*)(\.?)")


def _take_words(
    text: str, pos: int, max_words: int, *, digits: bool, stop: frozenset[str]
) -> list[str]:
    """Words of a name starting at *pos*: stops at punctuation, a line end, a stopword or
    keyword, digits (unless *digits*), and after a word ending a sentence with a dot."""
    out: list[str] = []
    while len(out) < max_words:
        m = _WORD.match(text, pos)
        if m is None:
            break
        word = m.group(1).lower()
        if word in stop or (word.isdigit() and not digits) or (out and _VERB.match(word)):
            break
        if not word.isdigit() and any(c.isdigit() for c in word):
            break
        out.append(str(int(word)) if word.isdigit() else word)
        pos = m.end()
        if m.group(2) and word not in _NAME_ABBREV and len(word) > 2:
            break
    return out


def _place_stop() -> frozenset[str]:
    keywords = set(_PLACE_CANON) | {a.split()[0] for a in _LANDMARK_CANON}
    keywords |= {a.split()[0] for group in _AGENCY_ALIASES.values() for a in group}
    keywords |= {a.split()[0].split("-")[0] for g in _DOCUMENT_ALIASES.values() for a in g}
    return _STOP | frozenset(keywords)


_NAME_STOP = _place_stop()


def _parse_number(raw: str) -> Decimal | None:
    """Read "780.000", "1.500.000,00", "50,000", "1,5", "1.5" the way citizens mean them:
    a separator followed by exactly three digits groups thousands, any other is a decimal."""
    seps = [c for c in raw if c in ".,"]
    if not seps:
        return Decimal(raw)
    groups = re.split(r"[.,]", raw)
    if len(seps) > 1 and seps[-1] != seps[0]:
        whole = "".join(groups[:-1])
        return Decimal(f"{whole}.{groups[-1]}")
    if all(len(g) == 3 for g in groups[1:]):
        return Decimal("".join(groups))
    if len(seps) == 1:
        return Decimal(f"{groups[0]}.{groups[1]}")
    return None


def _amount(raw: str, multiplier: int) -> int | None:
    try:
        value = _parse_number(raw)
    except InvalidOperation:
        return None
    if value is None:
        return None
    amount = int(value * multiplier)
    return amount if amount > 0 else None


# --- extraction ---------------------------------------------------------------------------


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if "@" in text or "#" in text or "http" in text or "www." in text:
        text = _NOISE.sub(" ", text)
    return _GLUED.sub(r"\1 ", text)


def _ids(text: str) -> set[str]:
    out: set[str] = set()
    for m in _NIK.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        kk = [k.end() for k in _KK_CONTEXT.finditer(before)]
        nik = [k.end() for k in _NIK_CONTEXT.finditer(before)]
        kind = "kk" if kk and (not nik or kk[-1] > nik[-1]) else "nik"
        out.add(kind + ":" + re.sub(r"\D", "", m.group(1)))
    for m in _NPWP.finditer(text):
        digits = re.sub(r"\D", "", m.group(1) or m.group(2))
        if len(digits) == 15:
            out.add("npwp:" + digits)
    out.update("bpjs:" + m.group(1) for m in _BPJS_NO.finditer(text))
    out.update("pelanggan:" + m.group(1) for m in _PELANGGAN.finditer(text))
    for m in _PLATE.finditer(text):
        region, number, suffix = m.groups()
        if region.lower() not in _PLATE_REGIONS or suffix.lower() in _NAME_STOP:
            continue
        shouted = region.isupper() and suffix.isupper()
        if shouted or _PLATE_CONTEXT.search(text, max(0, m.start() - 25), m.start()):
            out.add(f"plat:{region.lower()}{number}{suffix.lower()}")
    return out


def _names(text: str) -> set[str]:
    out: set[str] = set()
    for m in _NAME_KEY.finditer(text):
        qualifier = (m.group(1) or "").lower()
        if qualifier in _SELF:
            continue
        if m.group(0)[:4].lower() == "nama" and not qualifier:
            line_start = text.rfind("\n", 0, m.start()) + 1
            if not text[line_start : m.start()].strip():
                continue  # a "Nama:" form line introduces the writer
        pos = m.end()
        honor = _WORD.match(text, pos)
        while honor and honor.group(1).lower() in _HONORIFIC:
            pos = honor.end()
            honor = _WORD.match(text, pos)
        words = _take_words(text, pos, 4, digits=False, stop=_NAME_STOP - _NAME_ABBREV)
        if words and words[0] not in _SELF:
            out.add(" ".join(w.rstrip(".") for w in words))
    return out


def _name_value(text: str, pos: int, max_words: int, *, digits: bool) -> str | None:
    words = _take_words(text, pos, max_words, digits=digits, stop=_NAME_STOP)
    if not words or (len(words) == 1 and words[0] in _GENERIC_ALONE):
        return None
    return " ".join(words)


def _places(text: str) -> set[str]:
    out: set[str] = set()
    for m in _RT_RW.finditer(text):
        rt, rw = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.update((f"rt:{int(rt)}", f"rw:{int(rw)}"))
    out.update(f"{m.group(1).lower()}:{int(m.group(2))}" for m in _RT.finditer(text))
    for m in _PLACE_KEY.finditer(text):
        kind = _PLACE_CANON[m.group(1).lower()]
        if kind == "desa" and m.group(1).lower() == "lurah":
            continue  # "pak lurah" is a person; "lurah sukamaju" is rare
        max_words = _PLACE_MAX_WORDS.get(kind, 2)
        value = _name_value(text, m.end(), max_words, digits=kind in ("gang", "dusun"))
        if value is not None:
            out.add(f"{kind}:{value}")
    for m in _SCHOOL_NUMBERED.finditer(text):
        rest = _take_words(text, m.end(), 2, digits=False, stop=_NAME_STOP)
        out.add(" ".join(["landmark:" + m.group(1).lower() + "n", str(int(m.group(2))), *rest]))
    for m in _LANDMARK_KEY.finditer(text):
        kind = _LANDMARK_CANON[_SEP.sub("", m.group(1).lower())]
        pos = m.end()
        skip = _WORD.match(text, pos)
        if skip and skip.group(1).lower() in _LANDMARK_SKIP and kind in _LANDMARK_SKIPPING:
            pos = skip.end()
        value = _name_value(text, pos, 3, digits=True)
        if value is not None:
            out.add(f"landmark:{kind} {value}")
    return out


def _vocabulary(text: str, pattern: re.Pattern[str], canon: dict[str, str]) -> set[str]:
    out: set[str] = set()
    for m in pattern.finditer(text):
        key = _SEP.sub("", m.group(1).lower())
        if key == "sim" and _KARTU_SIM.search(text, max(0, m.start() - 12), m.start()):
            continue
        out.add(canon[key])
    return out


def _amounts(text: str) -> set[int]:
    out: set[int] = set()

    def add(raw: str, multiplier: int) -> None:
        value = _amount(raw, multiplier)
        if value is not None:
            out.add(value)

    if _JT_RB.search(text):
        spans: list[tuple[int, int]] = []
        for m in _JT_RB.finditer(text):
            out.add(int(m.group(1)) * 1_000_000 + int(m.group(2) or m.group(3)) * 1_000)
            spans.append(m.span())
        for start, end in reversed(spans):
            text = text[:start] + " " * (end - start) + text[end:]
    for m in _RP.finditer(text):
        unit = (m.group(2) or m.group(3) or "").lower()
        add(m.group(1), _UNITS.get(unit, 1))
    for m in _UNIT.finditer(text):
        add(m.group(1), _UNITS[(m.group(2) or m.group(3)).lower()])
    for m in _MONEY_CONTEXT.finditer(text):
        raw = m.group(1)
        digits = re.sub(r"\D", "", raw)
        if raw.startswith("0") or len(digits) > 10:
            continue  # a phone or account number, not a price
        if len(digits) == 4 and "." not in raw and "," not in raw and 1900 <= int(digits) < 2100:
            continue  # a year
        value = _amount(raw, 1)
        if value is not None and value >= 1_000:
            out.add(value)
    return out


def extract_facts(text: str) -> Facts:
    """Every fact :mod:`normalizer.facts` recognises in *text* (any case, any channel)."""
    text = _prepare(text)
    return Facts(
        ids=frozenset(_ids(text)),
        names=frozenset(_names(text)),
        places=frozenset(_places(text)),
        agencies=frozenset(_vocabulary(text, _AGENCY, _AGENCY_CANON)),
        documents=frozenset(_vocabulary(text, _DOCUMENT, _DOCUMENT_CANON)),
        amounts=frozenset(_amounts(text)),
    )


# --- comparison -----------------------------------------------------------------------------

_ID_KINDS = ("nik", "kk", "npwp", "bpjs", "pelanggan", "plat")
#: place kinds a differing value of which is a conflict; rt is handled apart (see conflicts)
_PLACE_KINDS = ("jalan", "gang", "dusun", "desa", "kecamatan", "kabupaten", "kota", "provinsi")
#: place kinds that locate a problem below the kecamatan: shared, they point at one spot
_LOCAL_KINDS = ("jalan", "gang", "dusun", "desa")


def _by_kind(values: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for value in values:
        kind, _, rest = value.partition(":")
        if kind == "landmark":
            head = next(k for k in _LANDMARK_ORDER if rest.startswith(k + " "))
            kind, rest = f"landmark:{head}", rest[len(head) + 1 :]
        out.setdefault(kind, set()).add(rest)
    return out


_LANDMARK_ORDER = sorted(_LANDMARK_ALIASES, key=len, reverse=True)


def _prefix_match(x: str, y: str) -> str | None:
    """The shorter of two names when one's words begin the other's ("sukamaju" and
    "sukamaju indah"): a name cut short by extraction is not another name."""
    xs, ys = x.split(), y.split()
    short, long_ = (xs, ys) if len(xs) <= len(ys) else (ys, xs)
    return " ".join(short) if long_[: len(short)] == short else None


def _subset_match(x: str, y: str) -> str | None:
    """The shorter of two person names when its words all occur in the other ("siti" and
    "siti aminah", "aminah" and "siti aminah")."""
    xs, ys = set(x.split()), set(y.split())
    short, value = (xs, x) if len(xs) <= len(ys) else (ys, y)
    return value if short <= (ys if short is xs else xs) else None


def _matches(
    xs: Iterable[str], ys: Iterable[str], match: Callable[[str, str], str | None]
) -> set[str]:
    ys = list(ys)
    return {m for x in xs for y in ys if (m := match(x, y)) is not None}


def conflicts(a: Facts, b: Facts) -> list[str]:
    """Kinds where *a* and *b* both name values and none of them agree: the two reports are
    about different things. Compared, each only when both sides have a value:

    * every id kind (``nik``, ``kk``, ``npwp``, ``bpjs``, ``pelanggan``, ``plat``): equality;
    * ``name``: a name whose words all occur in the other agrees ("siti", "siti aminah");
    * ``jalan``, ``gang``, ``dusun``, ``desa``, ``kecamatan``, ``kabupaten``, ``kota``,
      ``provinsi``: a name that begins the other agrees ("merdeka", "merdeka raya");
    * ``rw``: equality; ``rt`` only when both name the same RW (RT numbers repeat in every
      RW, so RT 2 and RT 3 alone may be one street of two RWs);
    * ``landmark``: per institution (SDN vs SDN, pasar vs pasar): a flood reported "dekat
      pasar" and "depan SDN 3" is one flood;
    * ``agency``: per family of comparable offices (Polsek/Polres/Polda, PDAM/PLN,
      Puskesmas/RSUD, the dinas, the desa/kecamatan office), so a complaint mentioning where
      it was reported is not thereby about another office;
    * ``document`` and ``amount``: equality.
    """
    out: list[str] = []
    ids_a, ids_b = _by_kind(a.ids), _by_kind(b.ids)
    out += [k for k in _ID_KINDS if ids_a.get(k) and ids_b.get(k) and not ids_a[k] & ids_b[k]]
    if a.names and b.names and not _matches(a.names, b.names, _subset_match):
        out.append("name")
    pa, pb = _by_kind(a.places), _by_kind(b.places)
    for kind in _PLACE_KINDS:
        if pa.get(kind) and pb.get(kind) and not _matches(pa[kind], pb[kind], _prefix_match):
            out.append(kind)
    rw_a, rw_b = pa.get("rw", set()), pb.get("rw", set())
    if pa.get("rt") and pb.get("rt") and rw_a & rw_b and not pa["rt"] & pb["rt"]:
        out.append("rt")
    if rw_a and rw_b and not rw_a & rw_b:
        out.append("rw")
    landmarks = [k for k in pa if k.startswith("landmark:") and k in pb]
    if any(not _matches(pa[k], pb[k], _prefix_match) for k in landmarks):
        out.append("landmark")
    for family in _AGENCY_FAMILIES:
        fa, fb = a.agencies & family, b.agencies & family
        if fa and fb and not fa & fb:
            out.append("agency")
            break
    if a.documents and b.documents and not a.documents & b.documents:
        out.append("document")
    if a.amounts and b.amounts and not a.amounts & b.amounts:
        out.append("amount")
    return out


def shared_specific(a: Facts, b: Facts) -> list[str]:
    """Specific values *a* and *b* share, kind-prefixed and sorted: ids, names (``name:``),
    jalan, gang, dusun, desa and landmarks (a cut-short name counts as the same, see
    :func:`conflicts`). RT and RW are added only beside a shared jalan, gang, dusun or desa:
    every desa has an RT 2."""
    out = {f"name:{m}" for m in _matches(a.names, b.names, _subset_match)}
    out |= a.ids & b.ids
    pa, pb = _by_kind(a.places), _by_kind(b.places)
    for kind in pa.keys() & pb.keys():
        if kind.startswith("landmark:"):
            out |= {f"{kind} {m}" for m in _matches(pa[kind], pb[kind], _prefix_match)}
        elif kind in _LOCAL_KINDS:
            out |= {f"{kind}:{m}" for m in _matches(pa[kind], pb[kind], _prefix_match)}
    if any(k in pa and k in pb and _matches(pa[k], pb[k], _prefix_match) for k in _LOCAL_KINDS):
        out |= {f"{k}:{v}" for k in ("rt", "rw") for v in pa.get(k, set()) & pb.get(k, set())}
    return sorted(out)
