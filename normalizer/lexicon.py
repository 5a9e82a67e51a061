"""The words complaint text is written in: shorthand, stopwords, places, glued prepositions.

Tables and word-level rules that :mod:`normalizer.fingerprint` (the canonical word sequence)
and :mod:`normalizer.terms` (content terms) share: SMS shorthand and slang expanded to one
spelling (a hand list laid over a vendored colloquial lexicon, ``data/slang.tsv``; its source
and licence in ``data/README.md``), the words that say nothing about which problem a
complaint is about, and the "di"/"ke" prepositions glued to a place ("dirmh").
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: SMS abbreviations and informal spellings -> the form we compare on. Keys are whole words
#: after lower-casing. Kept to unambiguous expansions: a wrong entry merges different words.
ABBREVIATIONS: dict[str, str] = {
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "dng": "dengan",
    "tdk": "tidak",
    "tak": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "engga": "tidak",
    "enggak": "tidak",
    "kagak": "tidak",
    "sdh": "sudah",
    "udah": "sudah",
    "udh": "sudah",
    "dah": "sudah",
    "blm": "belum",
    "blum": "belum",
    "krn": "karena",
    "karna": "karena",
    "utk": "untuk",
    "untk": "untuk",
    "jln": "jalan",
    "jl": "jalan",
    "jlan": "jalan",
    "dll": "dan lain lain",
    "dsb": "dan sebagainya",
    "dr": "dari",
    "dri": "dari",
    "rb": "ribu",
    "rbu": "ribu",
    "jt": "juta",
    "jta": "juta",
    "sy": "saya",
    "sya": "saya",
    "aku": "saya",
    "kmi": "kami",
    "kmr": "kemarin",
    "kmrn": "kemarin",
    "skrg": "sekarang",
    "skr": "sekarang",
    "skrng": "sekarang",
    "bgt": "sekali",
    "banget": "sekali",
    "bnyk": "banyak",
    "byk": "banyak",
    "lg": "lagi",
    "lgi": "lagi",
    "hrs": "harus",
    "msh": "masih",
    "masi": "masih",
    "tp": "tapi",
    "tpi": "tapi",
    "jg": "juga",
    "jga": "juga",
    "aja": "saja",
    "aj": "saja",
    "sj": "saja",
    "kalo": "kalau",
    "klo": "kalau",
    "kl": "kalau",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "bgmn": "bagaimana",
    "knp": "kenapa",
    "napa": "kenapa",
    "trs": "terus",
    "trus": "terus",
    "dpn": "depan",
    "dkt": "dekat",
    "deket": "dekat",
    "sblh": "sebelah",
    "blkg": "belakang",
    "dkat": "dekat",
    "pd": "pada",
    "org": "orang",
    "tlg": "tolong",
    "tolongin": "tolong",
    "mhn": "mohon",
    "sgr": "segera",
    "bln": "bulan",
    "mgg": "minggu",
    "mggu": "minggu",
    "hr": "hari",
    "thn": "tahun",
    "th": "tahun",
    "tgl": "tanggal",
    "kel": "kelurahan",
    "kec": "kecamatan",
    "kab": "kabupaten",
    "gg": "gang",
    "sdn": "sd negeri",
    "bolong": "berlubang",
    "blg": "bilang",
    "kpd": "kepada",
    "bpk": "bapak",
    "pak": "bapak",
    "bu": "ibu",
    "min": "admin",
    "mimin": "admin",
    "dgr": "dengar",
    "liat": "lihat",
    "lht": "lihat",
    "bkn": "bukan",
    "smpai": "sampai",
    "sampe": "sampai",
    "ampe": "sampai",
    "tsb": "tersebut",
    "spt": "seperti",
    "kyk": "seperti",
    "kayak": "seperti",
    "sbg": "sebagai",
    "stlh": "setelah",
    "sblm": "sebelum",
    "bs": "bisa",
    "bsa": "bisa",
    "sgt": "sangat",
    "bnr": "benar",
    "bener": "benar",
    "emg": "memang",
    "emang": "memang",
    "mo": "mau",
    "pengen": "ingin",
    "pgn": "ingin",
    "bbrp": "beberapa",
    "brp": "berapa",
    "pdhl": "padahal",
    "pdhal": "padahal",
    "sjk": "sejak",
    "jd": "jadi",
    "jdi": "jadi",
    "dtg": "datang",
    "rmh": "rumah",
    "ds": "desa",
    "byr": "bayar",
    "ket": "keterangan",
    "sklh": "sekolah",
    "bsr": "besar",
    "n": "dan",
    "lbh": "lebih",
    "ttp": "tetap",
    "mksh": "terima kasih",
    "makasih": "terima kasih",
    "trims": "terima kasih",
    "tks": "terima kasih",
    "thx": "terima kasih",
    "tlp": "telepon",
    "telp": "telepon",
    "tlpn": "telepon",
    "hp": "ponsel",
    "hape": "ponsel",
    "handphone": "ponsel",
    "sm": "sama",
    "dl": "dulu",
    "dlu": "dulu",
    "pk": "bapak",
    "ank": "anak",
    "kpn": "kapan",
    "skt": "sakit",
    "kntr": "kantor",
    "ktr": "kantor",
    "dlm": "dalam",
    "dpt": "dapat",
    "jgn": "jangan",
    "mslh": "masalah",
    "msk": "masuk",
    "ttg": "tentang",
    "spy": "supaya",
    "shg": "sehingga",
    "tgh": "tengah",
    "tetep": "tetap",
    "pake": "pakai",
    "ngalir": "mengalir",
    # city codes people type in SMS; "smg" (Semarang or "semoga"), "plg" (Palembang,
    # "pulang" or "paling") and "bpn" (Balikpapan or the land agency) are ambiguous: left out
    "jkt": "jakarta",
    "jaksel": "jakarta selatan",
    "jakbar": "jakarta barat",
    "jaktim": "jakarta timur",
    "jakut": "jakarta utara",
    "jakpus": "jakarta pusat",
    "bdg": "bandung",
    "sby": "surabaya",
    "bks": "bekasi",
    "bgr": "bogor",
    "dpk": "depok",
    "tng": "tangerang",
    "mdn": "medan",
    "mks": "makassar",
    "dps": "denpasar",
    "mlg": "malang",
    "jogja": "yogyakarta",
    "jogya": "yogyakarta",
    "yogya": "yogyakarta",
    "jogjakarta": "yogyakarta",
}

#: words so common in complaints that they say nothing about *which* problem it is
#: (function words, greetings, sign-offs, letter boilerplate); dropped from the level-3
#: features and from :func:`normalizer.terms.terms` (not from level-2 comparison, where a
#: resend keeps them anyway).
STOPWORDS: frozenset[str] = frozenset(
    """
    yang dan di ke dari ini itu ada sudah tidak belum untuk dengan karena pada juga saja
    saya kami kita kalian mereka dia anda bapak ibu admin tolong mohon segera harap lagi
    sangat sekali banyak sudah masih terus tapi atau kalau bagaimana kenapa apa sama oleh
    akan bisa harus jadi sampai para nya pun lah kah dong deh sih ya yg mas mbak kak gan
    hari minggu bulan tahun sejak sekarang kemarin tersebut seperti memang benar mau ingin
    lapor laporan melaporkan keluhan mengeluhkan warga terima kasih tks thx makasih
    yth terhormat hormat trims mksh assalamualaikum assalamu alaikum wassalamualaikum wr wb
    salam selamat pagi siang sore malam admin mimin min kak gan pak bu ditindaklanjuti
    tindak lanjut tindaklanjuti perhatian perhatiannya atas kerjasama bantuannya
    dengan hormat bersama berikut mengenai perihal hal adapun demikian sebagai
    padahal beberapa lalu begini begitu tiap setiap per tetap hanya cuma telah pernah agar
    supaya sehingga namun tetapi bahwa antara hingga secara
    """.split()
)


def _load_slang() -> dict[str, str]:
    """The vendored colloquial lexicon (``data/slang.tsv``, see ``data/README.md``)."""
    text = resources.files(__package__).joinpath("data/slang.tsv").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        slang, _, formal = line.partition("\t")
        if slang and formal:
            table[slang] = formal
    return table


#: every whole-word rewrite tokens() applies: the vendored lexicon, then the hand list on
#: top of it, so the gateway's own entries win wherever the two disagree.
EXPANSIONS: dict[str, str] = {**_load_slang(), **ABBREVIATIONS}

#: places and directions: "di"/"ke" glued in front of one of these is the preposition
#: ("dirumah" -> "di rumah"), never a verb prefix. A list rather than "any root word":
#: "dipungut" is di- + pungut too, and that is a passive verb.
PLACES: frozenset[str] = frozenset(
    """
    rumah luar dalam atas bawah depan belakang samping sebelah sekitar sini situ sana mana
    tengah pinggir ujung seberang dekat tempat lokasi wilayah daerah kawasan lingkungan
    jalan gang rt rw desa dusun kampung kelurahan kecamatan kabupaten kota provinsi
    komplek kompleks perumahan blok lantai sekolah kampus pasar kantor toko warung kios
    masjid mushola musholla gereja pura puskesmas posyandu rsud klinik terminal stasiun
    halte pelabuhan bandara sungai selokan got jembatan perempatan pertigaan lapangan
    taman kebun sawah pantai balai polsek polres
    """.split()
)
# "ke"/"di" + a direction word is always the preposition, even where the dictionary lists
# the glued form ("kesana")
_DIRECTIONS = frozenset({"sini", "situ", "sana", "mana"})


@cache
def _roots() -> frozenset[str]:
    """Sastrawi's list of Indonesian root words (loaded on first use)."""
    data = resources.files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt")
    return frozenset(data.read_text(encoding="utf-8").split())


def split_di_ke(word: str) -> list[str] | None:
    """*word* with a glued "di"/"ke" preposition split off, or None to leave it alone.

    Split when the rest is a place or direction (:data:`PLACES`), directly or as shorthand
    ("dirmh" -> "di rumah", "dikel" -> "di kelurahan"). "di" + shorthand for another word is
    a passive verb and stays glued ("dibyr" -> "dibayar"). A word that is itself in the
    dictionary ("dinas", "kepala", "keluar") is never split."""
    rest = word[2:]
    expanded = EXPANSIONS.get(rest)
    target = rest if expanded is None else expanded
    if target in PLACES:
        if target not in _DIRECTIONS and word in _roots():
            return None
        return [word[:2], target]
    if (
        expanded is not None
        and word[0] == "d"
        and len(rest) >= 3
        and " " not in expanded
        and expanded not in STOPWORDS
        and expanded in _roots()
        and word not in _roots()
    ):
        return [word[:2] + expanded]
    return None
