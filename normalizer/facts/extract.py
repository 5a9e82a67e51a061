"""Extraction of :class:`~normalizer.facts.model.Facts` from one complaint's text.

The text is lower-cased and the set of its words computed once (letters and digits apart:
"rt02" holds "rt" and "02"; a keyword glued to "di"/"ke" counts: "dikel" holds "kel"). An
extractor runs only when one of its keywords is in that set, and matches its pattern only at
the offsets of those keywords, so a text costs one tokenisation plus a few anchored matches
however large the vocabularies grow.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from normalizer.facts import vocabulary as v
from normalizer.facts.model import Facts

_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)[@#]\w+", re.IGNORECASE)
# letters and digits are separate tokens: "rt02" is "rt", "02"; "780rb" is "780", "rb"
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_ASCII_TOKEN = re.compile(r"[a-z]+|[0-9]+")  # the same on ASCII text, and much faster
_DIGITS = re.compile(r"[0-9]+")
_DIGITS4 = re.compile(r"[0-9]{4}")
_ALIAS_GAP = r"[ \t./-]*"


class _Table(NamedTuple):
    """An alias table: its first words (a set, for fast intersection) and, per first word,
    its aliases longest first, each as (pattern of the whole alias or None for a one-word
    alias, canonical value)."""

    first_words: frozenset[str]
    aliases: dict[str, list[tuple[re.Pattern[str] | None, str]]]


def _table(aliases: dict[str, tuple[str, ...]]) -> _Table:
    """The :class:`_Table` of *aliases*: a multi-word alias matches with any spaces, dots,
    hyphens or slashes between its words ("ktp-el", "ktp el")."""
    entries: dict[str, list[tuple[int, re.Pattern[str] | None, str]]] = {}
    for canon, group in aliases.items():
        for alias in group:
            words = _TOKEN.findall(alias)
            pattern = None
            if len(words) > 1:
                pattern = re.compile(_ALIAS_GAP.join(map(re.escape, words)) + r"(?![^\W_])")
            entries.setdefault(words[0], []).append((len(words), pattern, canon))
    return _Table(
        frozenset(entries),
        {
            first: [(pattern, canon) for _, pattern, canon in sorted(group, key=lambda e: -e[0])]
            for first, group in entries.items()
        },
    )


_PLACES = _table(v.PLACE_ALIASES)
_LANDMARKS = _table(v.LANDMARK_ALIASES)
_AGENCIES = _table(v.AGENCY_ALIASES)
_DOCUMENTS = _table(v.DOCUMENT_ALIASES)
_KEYWORDS = _PLACES.first_words | _LANDMARKS.first_words | _AGENCIES.first_words
#: "dikel", "dirt", "kekantor", "kepdam": di/ke glued to a keyword
_GLUED = frozenset(p + w for p in ("di", "ke") for w in _KEYWORDS | {"rt", "rw"})
#: words that end a person, place or landmark name
_NAME_STOP = v.STOP | _KEYWORDS | _DOCUMENTS.first_words
_NAME_KEYS = v.words("a an nama")
_RT_KEYS = v.words("rt rw")
_CURRENCY = v.words("rp idr")
_JT = v.words("jt juta")
_NPWP_KEYS = v.words("npwp")
_UNIT_WORDS = frozenset(v.UNITS)

# Patterns below run on lower-cased text, most of them anchored at a keyword's offset; they
# spell digits [0-9], which the regex engine scans much faster than the Unicode \d.
_NR = r"(?![^\W\d_])"  # not followed by a letter
_NUM = r"((?>[0-9]+(?:[.,][0-9]+)*))"
_SPACED_UNIT = "|".join(u for u in v.UNITS if u not in ("k", "m"))

_NIK = re.compile(r"[0-9]{4}[ .-]?[0-9]{4}[ .-]?[0-9]{4}[ .-]?[0-9]{4}(?![0-9])")
_KK_CONTEXT = re.compile(r"\bkk\b|kartu\s+keluarga")
_NIK_CONTEXT = re.compile(r"\bnik\b|ktp")
_NPWP = re.compile(
    r"[0-9]{2}\.[0-9]{3}\.[0-9]{3}\.[0-9]-[0-9]{3}\.[0-9]{3}(?![0-9])"
)  # 12.345.678.9-012.345
_NPWP_AFTER = re.compile(r"npwp\W{0,6}([0-9][0-9 .-]{13,20}[0-9])(?![0-9])")
_BPJS_NO = re.compile(
    r"(?:bpjs|kis|jkn|noka)(?:\W+(?:kesehatan|ketenagakerjaan|kes|tk|no|nomor|nmr|kartu|"
    r"peserta|noka))*\W{1,6}([0-9]{13})(?![0-9])"
)
_PELANGGAN = re.compile(
    r"(?:id\s*pel(?:anggan)?|no(?:mor|\.)?\s*pel(?:anggan)?|no(?:mor|\.)?\s*sambungan|nosamb|"
    r"no(?:mor|\.)?\s*meter(?:an)?)" + _NR + r"(?:\W+(?:pln|pdam|listrik|air))?\W{0,6}"
    r"([0-9]{6,13})(?![0-9])"
)
_PLATE_CONTEXT = re.compile(
    r"plat|nopol|no\.?\s*pol\b|nomor\s+polisi|tnkb|motor|mobil|kendaraan|truk|angkot|bus\b"
)
_NAME_KEY = re.compile(
    r"(?:a\s?\.\s?n\b\.?|a/n\b|an\.|atas\s+nama\b|"
    r"nama\b(?:\s+(penerima|lengkap|pasien|anak|siswa|murid|korban|pemilik|pemohon|peserta|"
    r"almarhum|alm|suami|istri|ibu|ayah|kepala\s+keluarga|pelapor|saya|sy|kami|aku))?)"
    r"[ \t]*[:=]?"
)
# a lower-case plate is found from its digits (looking for one-letter area codes would visit
# every "a" and "b"): 1-4 digits, then 1-3 letters, the area code checked before them
_PLATE = re.compile(r"([0-9]{1,4}) ?([a-z]{1,3})(?![^\W_])")
_PLATE_CAPITALS = re.compile(r"([A-Z]{1,2}) ?([0-9]{1,4}) ?([A-Z]{1,3})(?![^\W_])")
_VEHICLE_WORDS = v.words("plat nopol pol polisi tnkb motor mobil kendaraan truk angkot bus")
_PLATE_AREA = re.compile(r"(?<![^\W_])([a-z]{1,2}) ?$")
_SCHOOL = re.compile(r"(sd|smp|sma|smk)[ \t./-]*([0-9]{1,3})(?![0-9])")
_SIM_CARD = re.compile(r"\s*card\b")
_RT = re.compile(
    # RT/RW 002/004
    r"rt\s*/\s*rw\.?\s*[:.]?\s*([0-9]{1,3})\s*/\s*([0-9]{1,3})(?![0-9])"
    # RT 02/RW 04, RT 02/04
    r"|rt\.?\s*[:.]?\s*([0-9]{1,3})\s*/\s*(?:rw\.?\s*[:.]?\s*)?([0-9]{1,3})(?![0-9/])"
    # rt.2, rw04
    r"|(rt|rw)\.?\s*[:.]?\s*([0-9]{1,3})(?![0-9/])"
)
_RP = re.compile(
    r"(?:rp|idr)\.?\s*" + _NUM + r"(?:,-+)?(?:\s*(" + _SPACED_UNIT + r")|(k|m))?" + _NR
)
_UNIT = re.compile(_NUM + r"(?:\s*(" + _SPACED_UNIT + r")|(k))" + _NR)
# "1 jt 500 rb", "1jt500": one amount, not two
_JT_RB = re.compile(
    r"([0-9]{1,3})\s*(?:jt|juta)\s*(?:([0-9]{1,3})\s*(?:rb|ribu|k)|([0-9]{3}))(?![0-9])" + _NR
)
# "bayar 50000", "dipungut biaya sebesar 150.000": a bare figure up to three words on, not
# a percentage, a date, or a figure with a unit (read by _UNIT)
_NOT_MONEY_AFTER = r"\s*%|[/-][0-9]|[^\W\d_]|\s*(?:" + _SPACED_UNIT + r")" + _NR
_MONEY = re.compile(r"[^\W\d_]+(?:\W+[^\W\d_]+){0,3}?\W*" + _NUM + f"(?!{_NOT_MONEY_AFTER})")

# an affixed verb after the first word of a name ends it ("polres bogor dipungut"); the
# first word is always kept, since some place names look affixed (Menteng, Dipatiukur)
_VERB = re.compile(r"(?:di|ber)[a-z]{4,}|(?:ter|me)[a-z]{5,}|[a-z]{3,}(?:kan|nya)$")
_WORD = re.compile(r"[ \t]*([^\W_]+(?:['’-][^\W_]+)*)(\.?)")


class _Text:
    """One complaint prepared for every extractor: its lower-cased text (and the original,
    for capitals) and the set of its words, to skip extractors whose keywords are absent and
    to find the offsets of those that are present."""

    __slots__ = ("low", "orig", "vocab")

    def __init__(self, raw: str) -> None:
        text = unicodedata.normalize("NFKC", raw)
        if "@" in text or "#" in text or "http" in text or "www." in text:
            text = _NOISE.sub(" ", text)
        self.orig = text
        self.low = low = text.lower()
        self.vocab = set((_ASCII_TOKEN if low.isascii() else _TOKEN).findall(low))
        for word in self.vocab & _GLUED:
            self.vocab.update((word[:2], word[2:]))

    def has(self, keys: frozenset[str]) -> bool:
        return not self.vocab.isdisjoint(keys)

    def find(self, keys: frozenset[str]) -> list[tuple[int, str]]:
        """(offset, word) of every whole-word occurrence of the (alphabetic) words in *keys*,
        in text order; a keyword glued to "di"/"ke" counts ("dikel" holds "kel")."""
        hits = keys & self.vocab
        if not hits:
            return []
        out: list[tuple[int, str]] = []
        low = self.low
        for word in hits:
            size = len(word)
            s = low.find(word)
            while s >= 0:
                if not low[s + size : s + size + 1].isalpha() and (
                    not low[s - 1 : s].isalpha()
                    or (low[s - 2 : s] + word in _GLUED and not low[s - 3 : s - 2].isalpha())
                ):
                    out.append((s, word))
                s = low.find(word, s + size)
        if len(hits) > 1:
            out.sort()
        return out

    def after(self, end: int) -> int:
        """*end*, or past the abbreviation dot there ("jl.", "kel.")."""
        return end + 1 if self.low.startswith(".", end) else end

    def scan(self, table: _Table) -> list[tuple[str, int, int]]:
        """(canonical value, start, end) of each alias of *table* in the text, longest
        first and non-overlapping."""
        out: list[tuple[str, int, int]] = []
        last = 0
        for s, word in self.find(table.first_words):
            if s < last:
                continue
            for pattern, canon in table.aliases[word]:
                if pattern is None:
                    end = s + len(word)
                elif m := pattern.match(self.low, s):
                    end = m.end()
                else:
                    continue
                out.append((canon, s, end))
                last = end
                break
        return out

    def numbers(self) -> list[int]:
        """Offsets of the digit runs that start a figure (not the "5" of "1,5")."""
        low = self.low
        starts = [m.start() for m in _DIGITS.finditer(low)]
        return [s for s in starts if not (s > 1 and low[s - 1] in ".," and low[s - 2].isdigit())]


def _take_words(
    text: str, pos: int, max_words: int, *, digits: bool, stop: frozenset[str] = _NAME_STOP
) -> list[str]:
    """Words of a name starting at *pos*: stops at punctuation, a line end, a stopword or
    keyword, digits (unless *digits*), and after a word that ends a sentence with a dot."""
    out: list[str] = []
    while len(out) < max_words:
        m = _WORD.match(text, pos)
        if m is None:
            break
        word = m.group(1)
        if word in stop or (out and _VERB.match(word)):
            break
        if word.isdigit():
            if not digits:
                break
            word = str(int(word))
        elif not word.isalpha() and not word.replace("-", "").replace("'", "").isalpha():
            break
        out.append(word)
        pos = m.end()
        if m.group(2) and word not in v.NAME_ABBREV and len(word) > 2:
            break
    return out


def _name_value(text: str, pos: int, max_words: int, *, digits: bool) -> str | None:
    words = _take_words(text, pos, max_words, digits=digits)
    if not words or (len(words) == 1 and words[0] in v.GENERIC_ALONE):
        return None
    return " ".join(words)


def _ids(t: _Text) -> set[str]:
    out: set[str] = set()
    low = t.low
    for m in _NIK.finditer(low) if _DIGITS4.search(low) else ():
        s = m.start()
        if low[s - 1 : s] in (".", ",") or low[s - 1 : s].isdigit():
            continue
        before = low[max(0, s - 30) : s]
        kk = [k.end() for k in _KK_CONTEXT.finditer(before)]
        nik = [k.end() for k in _NIK_CONTEXT.finditer(before)]
        kind = "kk" if kk and (not nik or kk[-1] > nik[-1]) else "nik"
        out.add(kind + ":" + re.sub(r"\D", "", m.group()))
    if "-" in low:
        out.update("npwp:" + re.sub(r"\D", "", m.group()) for m in _NPWP.finditer(low))
    for s, _ in t.find(_NPWP_KEYS):
        after = _NPWP_AFTER.match(low, s)
        if after and len(digits := re.sub(r"\D", "", after[1])) == 15:
            out.add("npwp:" + digits)
    for prefix, keys, pattern in _KEYED_IDS:
        out.update(prefix + k[1] for s, _ in t.find(keys) if (k := pattern.match(low, s)))
    out.update(_plates(t))
    return out


_KEYED_IDS = (("bpjs:", v.BPJS_WORDS, _BPJS_NO), ("pelanggan:", v.PELANGGAN_WORDS, _PELANGGAN))


def _plates(t: _Text) -> set[str]:
    """Plates such as "B 1234 XYZ": an area code, 1-4 digits, 1-3 letters, written in
    capitals or after a vehicle word (lower-case "b 2 dan" is too often not a plate)."""
    out: set[str] = set()
    for m in _PLATE_CAPITALS.finditer(t.orig):
        area, number, suffix = m[1].lower(), m[2], m[3].lower()
        if area in v.PLATE_REGIONS and suffix not in _NAME_STOP:
            if not t.orig[m.start() - 1 : m.start()].isalnum():
                out.add(f"plat:{area}{number}{suffix}")
    if not t.has(_VEHICLE_WORDS):
        return out
    low = t.low
    for m in _PLATE.finditer(low):
        if low[m.start() - 1 : m.start()].isdigit() or m[2] in _NAME_STOP:
            continue
        found = _PLATE_AREA.search(low, max(0, m.start() - 3), m.start())
        if found and found[1] in v.PLATE_REGIONS:
            if _PLATE_CONTEXT.search(low, max(0, found.start() - 25), found.start()):
                out.add(f"plat:{found[1]}{m[1]}{m[2]}")
    return out


def _names(t: _Text) -> set[str]:
    out: set[str] = set()
    if not t.has(_NAME_KEYS):
        return out
    low = t.low
    for m in _NAME_KEY.finditer(low):
        s = m.start()
        if low[s - 1 : s] == "-" or low[s - 1 : s].isalnum():
            continue  # "90-an", "90an", "bulan."
        qualifier = m.group(1)
        if qualifier in v.SELF:
            continue
        line_start = low.rfind("\n", 0, s) + 1
        if qualifier is None and low.startswith("nama", s) and not low[line_start:s].strip():
            continue  # a "Nama:" form line introduces the writer
        pos = m.end()
        while (honor := _WORD.match(low, pos)) and honor.group(1) in v.HONORIFIC:
            pos = honor.end()
        words = _take_words(low, pos, 4, digits=False, stop=_NAME_STOP - v.NAME_ABBREV)
        if words and words[0] not in v.SELF:
            out.add(" ".join(words))
    return out


def _places(t: _Text) -> set[str]:
    out: set[str] = set()
    low = t.low
    for s, _ in t.find(_RT_KEYS):
        if m := _RT.match(low, s):
            if m[1] or m[3]:
                rt, rw = (m[1], m[2]) if m[1] else (m[3], m[4])
                out.update((f"rt:{int(rt)}", f"rw:{int(rw)}"))
            else:
                out.add(f"{m[5]}:{int(m[6])}")
    for kind, s, end in t.scan(_PLACES):
        if low.startswith("lurah", s):
            continue  # "pak lurah" is a person
        max_words = v.PLACE_MAX_WORDS.get(kind, 2)
        value = _name_value(low, t.after(end), max_words, digits=kind in v.PLACE_NUMBERED)
        if value is not None:
            out.add(f"{kind}:{value}")
    for kind, _, end in t.scan(_LANDMARKS):
        pos = t.after(end)
        if kind in v.LANDMARK_ADMIN_PREFIXED:
            admin = _WORD.match(low, pos)
            if admin and admin.group(1) in v.LANDMARK_ADMIN_WORDS:
                pos = admin.end()
        value = _name_value(low, pos, 3, digits=True)
        if value is not None:
            out.add(_landmark(kind, value.split()))
    for s, word in t.find(v.SCHOOLS):
        if m := _SCHOOL.match(low, s):
            rest = _take_words(low, m.end(), 2, digits=False)
            if rest or t.orig[s : s + len(word)].isupper():
                out.add(_landmark(word + "n", [str(int(m[2])), *rest]))
    return out


def _landmark(kind: str, words: list[str]) -> str:
    """``landmark:`` value with the number first: "SDN Sukamaju 01" and "SDN 1 Sukamaju" are
    one school."""
    numbers = [w for w in words if w.isdigit()]
    rest = [w for w in words if not w.isdigit()]
    return " ".join(["landmark:" + kind, *numbers, *rest])


def _documents(t: _Text) -> set[str]:
    out: set[str] = set()
    low = t.low
    for canon, s, end in t.scan(_DOCUMENTS):
        if canon == "sim" and (
            low[max(0, s - 8) : s].rstrip().endswith("kartu") or _SIM_CARD.match(low, end)
        ):
            continue  # a phone's SIM card, not a driving licence
        out.add(canon)
    return out


def _parse_number(raw: str) -> Decimal | None:
    """Read "780.000", "1.500.000,00", "50,000", "1,5", "1.5" the way citizens mean them:
    a separator followed by exactly three digits groups thousands, any other is a decimal."""
    groups = re.split(r"[.,]", raw)
    if len(groups) == 1:
        return Decimal(raw)
    seps = [c for c in raw if c in ".,"]
    if seps[-1] != seps[0]:
        return Decimal("".join(groups[:-1]) + "." + groups[-1])
    if all(len(g) == 3 for g in groups[1:]):
        return Decimal("".join(groups))
    if len(groups) == 2:
        return Decimal(f"{groups[0]}.{groups[1]}")
    return None


def _amount(raw: str, multiplier: int) -> int | None:
    try:
        value = _parse_number(raw)
    except InvalidOperation:
        return None
    amount = int(value * multiplier) if value is not None else 0
    return amount if amount > 0 else None


def _amounts(t: _Text) -> set[int]:
    out: set[int] = set()
    if not _DIGITS.search(t.low):
        return out
    low = t.low
    numbers = t.numbers() if t.has(_JT) or t.has(_UNIT_WORDS) else []
    taken: set[int] = set()  # offsets of figures already read as part of "1 jt 500 rb"
    if t.has(_JT):
        for s in numbers:
            if m := _JT_RB.match(low, s):
                out.add(int(m[1]) * 1_000_000 + int(m[2] or m[3]) * 1_000)
                taken.update(n for n in numbers if s <= n < m.end())
    for s, _ in t.find(_CURRENCY):
        if (m := _RP.match(low, s)) and m.start(1) not in taken:
            if value := _amount(m[1], _unit(m[2] or m[3])):
                out.add(value)
    for s in numbers:
        if s not in taken and (m := _UNIT.match(low, s)):
            if value := _amount(m[1], _unit(m[2] or m[3])):
                out.add(value)
    for s, _ in t.find(v.MONEY_WORDS):
        m = _MONEY.match(low, s)
        if m is None or m.start(1) in taken:
            continue
        if not v.MONEY_BLOCKERS.isdisjoint(_TOKEN.findall(low, s, m.start(1))):
            continue  # "tagihan no 123456", "iuran bulan 10"
        raw = m[1]
        digits = raw.replace(".", "").replace(",", "")
        if raw.startswith("0") or len(digits) > 10:
            continue  # a phone or account number, not a price
        if raw.isdigit() and len(raw) == 4 and 1900 <= int(raw) < 2100:
            continue  # a year
        if (value := _amount(raw, 1)) and value >= 1_000:
            out.add(value)
    return out


def _unit(word: str | None) -> int:
    return v.UNITS[word] if word else 1


def extract_facts(text: str) -> Facts:
    """Every fact :mod:`normalizer.facts` recognises in *text* (any case, any channel)."""
    t = _Text(text)
    return Facts(
        ids=frozenset(_ids(t)),
        names=frozenset(_names(t)),
        places=frozenset(_places(t)),
        agencies=frozenset(canon for canon, _, _ in t.scan(_AGENCIES)),
        documents=frozenset(_documents(t)),
        amounts=frozenset(_amounts(t)),
    )
