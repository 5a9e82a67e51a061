"""Fingerprints of complaint text, for recognising the same complaint sent again.

Citizens resend a complaint from another phone app, retype it on the web form, or forward
it to @lapor1708 with a mention in front. To compare two texts we reduce each to a canonical
word sequence:

* lower case, NFKC (full-width and styled letters fold to plain ones), accents kept;
* the keyword prefix ``LAPOR``/``LAPOR!``/``#lapor``, @mentions, #hashtags' ``#`` and URLs
  removed (they say how the complaint arrived, not what it is about);
* punctuation becomes a word break, digits stay (house numbers, RT/RW, dates matter);
* common Indonesian SMS abbreviations and slang expand to one spelling (``yg`` -> ``yang``,
  ``gak``/``ga``/``nggak`` -> ``tidak``, ``rmh`` -> ``rumah``): the hand list
  :data:`ABBREVIATIONS` laid over a vendored colloquial lexicon (``data/slang.tsv``), and
  letter repetition (``tolongggg``) is squeezed so spelling variants do not look like
  different words;
* "di"/"ke" glued to a place is split off (``dirmh`` -> ``di rumah``, ``kesekolah`` ->
  ``ke sekolah``); real words (``dinas``, ``kepala``) and passive verbs (``dipungut``) stay;
* an amount of money becomes its value in rupiah as plain digits: ``Rp 780.000,-``,
  ``780rb``, ``780 ribu`` and ``780k`` are all ``780000``; ``1,5 jt`` is ``1500000``.
  Other numbers (RT/RW, years, times) are left as they are.

From that sequence we derive word shingles (sets of ``k`` consecutive words), an exact
fingerprint hash, Jaccard similarity and containment (how much of an earlier text is inside
a later one: the "same complaint plus new detail" case).

Everything here is pure and deterministic across processes (no ``hash()`` randomisation), so
fingerprints computed today match those stored yesterday.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources

from normalizer.text import drop_invisible

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


def _split_di_ke(word: str) -> list[str] | None:
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

_PREFIX = re.compile(r"^\s*(?:#?lapor\b[!.:,\-\s]*)+", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
# keep letters and digits (any script); everything else splits words
_NON_WORD = re.compile(r"[^\w]+|_+")
_REPEAT = re.compile(r"([a-z])\1{2,}")
# "Rp 5.000" / "5,000" -> "5000": thousand separators are not word breaks
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
# money: "1,5 jt" / "2.5 juta" -> "1500000" (whole amounts are joined in tokens(), where
# "780 ribu", "780rb", "780k" and "Rp 780.000,-" are single words already)
# (the digit before a match is checked in _decimal_amount: a leading look-behind makes
# the scan several times slower)
_DECIMAL_AMOUNT = re.compile(r"(\d{1,6})[.,](\d{1,2})\s*(juta|jta|jt|ribu|rbu|rb)(?![a-z])")
# cheap pre-check for _DECIMAL_AMOUNT: a digit on both sides of a separator
_DECIMAL = re.compile(r"\d[.,]\d")
# "Rp 780.000,00": the cents are not a separate number
_CENTS = re.compile(r"(?<=\d),00(?!\d)")
#: multipliers of an amount word after a number ("rb"/"jt" arrive expanded)
_UNITS: dict[str, int] = {"ribu": 1_000, "k": 1_000, "juta": 1_000_000}
# longest digit string multiplied (int() of a huge string is slow, past 4300 digits an error)
_MAX_AMOUNT_DIGITS = 15
# "2x", "rt05", "rw.03": digits glued to letters are split so "rt 05" == "rt05"
_DIGIT_EDGE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_MONEY = frozenset({"rp", "rupiah", "ribu", "juta", "k"})
_DI_KE = ("di", "ke")
# Indonesian reduplication written with a 2: "lampu2" -> "lampu"
_REDUP_2 = re.compile(r"^([a-z]{3,})2$")


def _is_amount(word: str) -> bool:
    """True when *word* is a number a following "ribu"/"juta"/"k" multiplies."""
    return word.isdigit() and len(word) <= _MAX_AMOUNT_DIGITS


def _decimal_amount(match: re.Match[str]) -> str:
    """Replacement for one :data:`_DECIMAL_AMOUNT` match: the amount as plain digits."""
    start = match.start()
    if start and match.string[start - 1] in "0123456789.,":
        return match.group(0)  # the tail of a longer number, not an amount
    whole, fraction, unit = match.groups()
    scale = 1_000_000 if unit[0] == "j" else 1_000
    value = int(whole) * scale + int(fraction) * scale // 10 ** len(fraction)
    return str(value)


def tokens(text: str) -> list[str]:
    """Canonical word sequence of *text* (see the module docstring for every rule).

    Runs once per incoming report, so each rewrite is skipped when a cheap test shows it
    cannot apply (the result is the same; tests/normalizer compare against the rules)."""
    # stored text keeps zero-width joiners (emoji, Persian, Indic scripts); a comparison
    # must not see them, or "lam\u200bpu" would be two words
    text = unicodedata.normalize("NFKC", drop_invisible(text)).casefold()
    if "lapor" in text:
        text = _PREFIX.sub(" ", text)
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "." in text or "," in text:
        text = _THOUSANDS.sub("", text)
        if ",00" in text:
            text = _CENTS.sub("", text)
        if (
            "rb" in text or "jt" in text or "ribu" in text or "juta" in text
        ) and _DECIMAL.search(text) is not None:
            text = _DECIMAL_AMOUNT.sub(_decimal_amount, text)
    # a run of three equal letters never spans a word break, so one scan of the whole text
    # tells whether any word needs squeezing
    squeeze = _REPEAT.search(text) is not None
    out: list[str] = []
    for raw in _NON_WORD.split(text):
        if not raw:
            continue
        if raw[-1] == "2":
            redup = _REDUP_2.match(raw)
            if redup:
                raw = redup.group(1)
        # only a word with a digit in it can have a letter/digit edge to split at
        parts = (raw,) if raw.isalpha() else _DIGIT_EDGE.split(raw)
        for word in parts:
            if not word:
                continue
            if squeeze:
                word = _REPEAT.sub(r"\1", word)
            expanded = EXPANSIONS.get(word)
            if expanded is not None:
                if expanded in _UNITS and out and _is_amount(out[-1]):
                    out[-1] = str(int(out[-1]) * _UNITS[expanded])
                else:
                    out.extend(expanded.split())
            elif word in _MONEY:
                if word in _UNITS and out and _is_amount(out[-1]):
                    out[-1] = str(int(out[-1]) * _UNITS[word])
                elif word == "rp" or (word == "rupiah" and out and out[-1].isdigit()):
                    pass  # the currency says nothing: "rp 5000" == "5000 rupiah" == "5000"
                else:
                    out.append(word)
            elif word[0] in "dk" and word[:2] in _DI_KE and len(word) > 3:
                split = _split_di_ke(word)
                if split is None:
                    out.append(word)
                else:
                    out.extend(split)
            else:
                out.append(word)
    # a prefix can also follow a mention: "@lapor1708 LAPOR jalan rusak"
    while out and out[0] == "lapor":
        out.pop(0)
    return out


def normalize(text: str) -> str:
    """The canonical form of *text* as one string: :func:`tokens` joined by spaces.

    This is what the store keeps as the report's fingerprint text, so the comparison can be
    redone later without the original (which may be confidential).
    """
    return " ".join(tokens(text))


def shingles(words: Sequence[str], k: int = 2) -> frozenset[str]:
    """Set of *k*-word shingles of *words*; a text shorter than *k* is one shingle."""
    if k < 1:
        raise ValueError("k must be >= 1")
    if not words:
        return frozenset()
    if len(words) <= k:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def containment(inner: frozenset[str] | set[str], outer: frozenset[str] | set[str]) -> float:
    """Share of *inner* found in *outer* (|inner ∩ outer| / |inner|); empty inner is 0.0."""
    if not inner:
        return 0.0
    return len(inner & outer) / len(inner)
