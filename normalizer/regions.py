"""The administrative region a complaint names, as a Kemendagri code.

Case handlers route by region and level-3 linking partitions by it, yet web, mobile and X
bodies rarely carry one. :func:`resolve_region` reads it from the text: "dikel sukamaju kec
cileungsi", "Kel. Sukamaju, Kec. Cileungsi, Kab. Bogor", "jalan rusak di bdg".

The gazetteer is ``data/regions.tsv.gz`` (Kepmendagri 2025, see ``data/NOTICE.md``), loaded
on first use and kept for the process; call :func:`preload` at start to pay that once, off
the request path.

How a text is read
------------------
* A **marker** (desa/ds/kelurahan/kel, kecamatan/kec/distrik, kabupaten/kab, kota/kotamadya,
  provinsi/prov, also glued to "di": "dikel") is followed by a name of that level, matched on
  up to four words, longest first, ignoring case, spaces and punctuation ("Suka Maju" is
  "sukamaju"). "kab" only matches kabupaten codes (..01-69), "kota" only kota codes (..71-99):
  "Kota Bogor" is 32.71, "Kabupaten Bogor" 32.01. A name written short stands for the names
  it begins ("Kel. Sei Sikambing" is Sei Sikambing B, C II or D, all in Kota Medan) rather
  than for a shorter whole name ("Se'i", a desa in NTT).
* Without a marker only kabupaten/kota and province names count (and their shorthand: jkt,
  bdg, sby, bgr, mlg, smg, jogja, mks, mdn, plg, bks, dpk, tng, jaksel, jabar, ntt, ...). A
  shorthand means what the written name means. Desa and kecamatan names never count without a
  marker ("jalan baru", "mekar jaya"), nor do kabupaten/kota names that are ordinary words or
  given names (:data:`w.BARE_STOP`: batu, batang, puncak, metro, bima, ...) or such words
  written apart ("bukit tinggi" is a hill, "Bukittinggi" the city), nor a name that
  follows a street word ("Jl. Raya Bogor", "jalan Jakarta-Bogor km 45": a street can be
  anywhere).

How a region is chosen
----------------------
Every mention has its candidate codes. Each mention's candidates are narrowed to those that
agree (one is inside the other) with another mention's, one mention at a time from the widest
level down; a narrowing that would leave nothing is skipped, so an unrelated second place does
not erase the first. A mention then stands for the deepest region that contains all its
candidates: one candidate is itself; "Bogor" without a marker is Kabupaten 32.01 or Kota
32.71, so it stands for their province, Jawa Barat (32), which is still right for routing; a
desa name found in 65 places across provinces stands for nothing. The answer is the deepest
region any mention stands for; when two mentions are as deep and differ ("kec A ... kec B"),
the region holding both, else ``None``.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import re
from array import array
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from normalizer import region_words as w

Level = Literal["provinsi", "kabupaten", "kota", "kecamatan", "desa"]

_DATA = "data/regions.tsv.gz"

_PROV, _KABKOTA, _KEC, _DESA = w.PROV, w.KABKOTA, w.KEC, w.DESA
_RANK_BY_LEN = {2: _PROV, 5: _KABKOTA, 8: _KEC, 13: _DESA}
_CODE_LENS = (13, 8, 5, 2)
_MAX_SPAN = 4  # longest name in words after compaction ("ogan komering ulu selatan")
_MAX_PREFIXED = 30  # a name written short stands for at most this many regions

_LINE = re.compile(r"([0-9.]+)\t([^\n]*)\n?")
_TOKEN = re.compile(r"[0-9a-z]+|[.,;:!?()\[\]\n]")
_BREAKS = frozenset(".,;:!?()[]\n")
_NOT_KEY = re.compile(r"[^0-9a-z]+")
_KABKOTA_PREFIX = re.compile(r"^(?:kabupaten|kota)\s+(?:administrasi\s+)?")
_PROVINCE_PREFIX = re.compile(r"^daerah\s+(?:khusus\s+ibukota|istimewa)\s+")


@dataclass(frozen=True, slots=True)
class Region:
    """A region from the gazetteer: its Kemendagri code, level, name and names from the top.

    A kelurahan is at level ``"desa"`` too (the same tier; its code's last part starts with 1,
    a desa's with 2). ``path`` runs from the province down to ``name``.
    """

    code: str
    level: Level
    name: str
    path: tuple[str, ...]


def compact(name: str) -> str:
    """The lookup key of a name: casefolded, with everything but letters and digits dropped."""
    return _NOT_KEY.sub("", name.casefold())


@dataclass(frozen=True, slots=True)
class _Mention:
    pos: int
    rank: int
    codes: tuple[str, ...]


class Gazetteer:
    """The region list with one name index per level (compact name -> codes).

    Built from the list's text, ``code<TAB>name`` lines sorted by code. Names stay in that
    text (found by offset) and a name borne by one region maps to its code string rather than
    a one-element tuple; most desa names are unique, so this keeps the index small.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._codes: list[str] = []
        self._name_at_text = array("I")  # where each name starts and ends in text, in pairs
        index: list[dict[str, str | list[str]]] = [{}, {}, {}, {}]
        for line in _LINE.finditer(text):  # no list of 91,599 lines: a lower peak at load
            code, name = line.group(1, 2)
            self._codes.append(code)
            self._name_at_text.extend(line.span(2))
            rank = _RANK_BY_LEN[len(code)]
            folded = name.casefold()
            if rank == _KABKOTA:
                folded = _KABKOTA_PREFIX.sub("", folded)
            elif rank == _PROV:
                folded = _PROVINCE_PREFIX.sub("", folded)
            key = compact(folded)
            found = index[rank].get(key)
            if found is None:
                index[rank][key] = code
            elif isinstance(found, str):
                index[rank][key] = [found, code]
            else:
                found.append(code)
        if self._codes != sorted(self._codes):
            raise ValueError("region list is not sorted by code")
        self._index: tuple[dict[str, str | tuple[str, ...]], ...] = tuple(
            {key: c if isinstance(c, str) else tuple(c) for key, c in level.items()}
            for level in index
        )
        self._keys = tuple(sorted(level) for level in self._index)
        bare: dict[str, tuple[str, ...]] = {}
        for rank in (_PROV, _KABKOTA):
            for key in self._index[rank]:
                if key not in w.BARE_STOP:
                    bare[key] = tuple(sorted(bare.get(key, ()) + self._named(rank, key)))
        for alias, key in w.ALIASES.items():
            if alias not in w.BARE_STOP and key in bare:
                bare[alias] = bare[key]
        self._bare = bare
        # every prefix of a bare key: a token that starts no key is skipped at once
        self._bare_prefixes = frozenset(k[:i] for k in bare for i in range(1, len(k) + 1))

    def _named(self, rank: int, key: str) -> tuple[str, ...]:
        """The codes of level *rank* whose name is *key*."""
        codes = self._index[rank].get(key, ())
        return (codes,) if isinstance(codes, str) else codes

    def __len__(self) -> int:
        return len(self._codes)

    def region(self, code: str) -> Region:
        """The region with Kemendagri *code*; ``KeyError`` when the list has none."""
        names = [self._name(code[:n]) for n in (2, 5, 8, 13) if n <= len(code)]
        rank = _RANK_BY_LEN[len(code)]
        level: Level
        if rank == _PROV:
            level = "provinsi"
        elif rank == _KABKOTA:
            level = "kota" if code[3] >= "7" else "kabupaten"
        elif rank == _KEC:
            level = "kecamatan"
        else:
            level = "desa"
        return Region(code=code, level=level, name=names[-1], path=tuple(names))

    def _name(self, code: str) -> str:
        i = bisect.bisect_left(self._codes, code)
        if i == len(self._codes) or self._codes[i] != code:
            raise KeyError(code)
        return self._text[self._name_at_text[2 * i] : self._name_at_text[2 * i + 1]]

    def resolve(self, text: str) -> Region | None:
        """The deepest region *text* names unambiguously (see the module docstring)."""
        mentions = self._mentions(_TOKEN.findall(text.casefold()))
        if not mentions:
            return None
        found = [code for m in _narrow(mentions) if (code := _common_ancestor(m.codes))]
        if not found:
            return None
        deepest = max(len(code) for code in found)
        # two places named as precisely ("kec A ... kec B"): the region holding both, if any
        code = _common_ancestor(tuple(sorted(c for c in found if len(c) == deepest)))
        return self.region(code) if code else None

    def _mentions(self, tokens: list[str]) -> list[_Mention]:
        """Every place mention in *tokens*, left to right.

        A bare name that names a street ("Jl. Raya Bogor", "jalan Jakarta-Bogor km 45") is
        skipped: the street can be anywhere.
        """
        mentions: list[_Mention] = []
        i, n = 0, len(tokens)
        street_end = -1  # where the last bare name skipped as a street name ended
        while i < n:
            token = tokens[i]
            if _marker(token) is not None:
                marked = self._marked_at(tokens, i)
                if marked is not None:
                    i = marked[0]
                    mentions.append(marked[1])
                    continue
                # an unmatched marker ("kota ini") may still precede a bare name
            elif token in self._bare_prefixes:
                bare = self._bare_at(tokens, i)
                if bare is not None:
                    if i == street_end or _after_street(tokens, i):
                        street_end = bare[0]
                    else:
                        mentions.append(_Mention(i, _KABKOTA, bare[1]))
                    i = bare[0]
                    continue
            i += 1
        return mentions

    def _marked_at(self, tokens: list[str], start: int) -> tuple[int, _Mention] | None:
        """The name after the marker run at *start* ("kel.", "desa/kel", "kab"): end, mention.

        A name may itself begin with a marker word ("desa Kota Baru"), so the name is first
        tried right after the first marker, then after each further marker of the run.
        """
        markers: list[tuple[int, str]] = []
        j = start
        while j < len(tokens):
            marker = _marker(tokens[j])
            if marker is None and tokens[j] != ".":
                break
            if marker is not None:
                markers.append(marker)
                found = self._name_at(tokens, j + 1, markers)
                if found is not None:
                    return found[0], _Mention(start, found[1].rank, found[1].codes)
            j += 1
        return None

    def _name_at(
        self, tokens: list[str], start: int, markers: list[tuple[int, str]]
    ) -> tuple[int, _Mention] | None:
        """The name of a marked level at *start*: (end, mention) or ``None``.

        The longest run of words that is a whole name wins, unless a longer run of name words
        is the start of some names (a name written short: "Kel. Sei Sikambing" is "Sei
        Sikambing B", "C II" or "D", not the one-word desa "Se'i" in NTT); then those names
        are the candidates.
        """
        if start < len(tokens) and tokens[start] == ".":
            start += 1
        rank = max(r for r, _ in markers)
        truncated: tuple[int, _Mention] | None = None
        for end, key in _spans(tokens, start):
            key = w.ALIASES.get(key, key)
            codes = self._lookup(key, markers, prefix=False)
            if codes:
                return truncated or (end, _Mention(start, rank, codes))
            if truncated is None and end - start >= 2 and not _has_marker(tokens, start, end):
                codes = self._lookup(key, markers, prefix=True)
                if codes:
                    truncated = (end, _Mention(start, rank, codes))
        return truncated

    def _lookup(self, key: str, markers: list[tuple[int, str]], *, prefix: bool) -> tuple[str, ...]:
        """Sorted codes of the marked levels named *key* (or, with *prefix*, named key...)."""
        if not prefix and len(markers) == 1:  # the common case: index tuples are sorted
            rank, kind = markers[0]
            named = self._named(rank, key)
            if kind:
                return tuple(c for c in named if (c[3] >= "7") == (kind == "kota"))
            return named
        codes: set[str] = set()
        for rank, kind in markers:
            if prefix:
                names = self._keys[rank]
                i = bisect.bisect_left(names, key)
                found: list[str] = []
                while i < len(names) and names[i].startswith(key):
                    found.extend(self._named(rank, names[i]))
                    if len(found) > _MAX_PREFIXED:
                        return ()
                    i += 1
            else:
                found = list(self._named(rank, key))
            for code in found:
                if not ((kind == "kab" and code[3] >= "7") or (kind == "kota" and code[3] < "7")):
                    codes.add(code)
        return tuple(sorted(codes))

    def _bare_at(self, tokens: list[str], start: int) -> tuple[int, tuple[str, ...]] | None:
        """The longest kabupaten/kota or province name at *start* (no marker): end, codes."""
        found: tuple[int, tuple[str, ...]] | None = None
        key = ""
        for end in range(start, min(start + _MAX_SPAN, len(tokens))):
            key += tokens[end]
            if key not in self._bare_prefixes:  # also stops at punctuation
                break
            codes = self._bare.get(key)
            if codes and not (end > start and key in w.BARE_GLUED_ONLY):
                found = (end + 1, codes)
        return found


def _after_street(tokens: list[str], i: int) -> bool:
    """Whether a street word ("jl.", "raya", "gang") comes right before token *i*."""
    i -= 1
    if i >= 0 and tokens[i] == ".":
        i -= 1
    return i >= 0 and tokens[i] in w.STREET


def _has_marker(tokens: list[str], start: int, end: int) -> bool:
    return any(_marker(token) is not None for token in tokens[start + 1 : end])


#: every marker, also glued to "di" ("dikel", "dikecamatan")
_MARKER_TOKENS = {**w.MARKERS, **{"di" + word: found for word, found in w.MARKERS.items()}}
_marker = _MARKER_TOKENS.get


def _spans(tokens: list[str], start: int) -> list[tuple[int, str]]:
    """(end, compact key) of the word runs at *start*, longest first, stopping at punctuation."""
    spans: list[tuple[int, str]] = []
    key = ""
    for end in range(start, min(start + _MAX_SPAN, len(tokens))):
        if tokens[end] in _BREAKS:
            break
        key += tokens[end]
        spans.append((end + 1, key))
    spans.reverse()
    return spans


def _agreeing(codes: tuple[str, ...], others: tuple[str, ...]) -> tuple[str, ...]:
    """The *codes* that contain, equal or lie inside one of *others* (both sorted).

    Walks the shorter tuple and binary-searches the longer one: a unique kecamatan narrows
    a desa name found in a hundred places with a handful of lookups.
    """
    if len(others) < len(codes):
        kept: set[str] = set()
        for o in others:
            kept.update(_family(codes, o))
        return tuple(sorted(kept))
    return tuple(c for c in codes if _family(others, c))


def _family(codes: tuple[str, ...], code: str) -> list[str]:
    """The members of sorted *codes* that equal, contain or lie inside *code*."""
    found = [code[:n] for n in (2, 5, 8) if n < len(code) and _has(codes, code[:n])]
    i = bisect.bisect_left(codes, code)  # code itself, then its descendants, come next
    while i < len(codes) and codes[i].startswith(code):
        found.append(codes[i])
        i += 1
    return found


def _has(codes: tuple[str, ...], code: str) -> bool:
    i = bisect.bisect_left(codes, code)
    return i < len(codes) and codes[i] == code


def _narrow(mentions: list[_Mention]) -> list[_Mention]:
    """Each mention's codes narrowed by the others', widest level first (see module doc)."""
    order = sorted(range(len(mentions)), key=lambda k: mentions[k].rank)
    narrowed = list(mentions)
    for k in order:
        codes = narrowed[k].codes
        # the most telling mention first: a unique kecamatan narrows 116 desa to one at once
        for other in sorted(order, key=lambda o: len(narrowed[o].codes)):
            if other == k or len(codes) == 1:
                continue
            kept = _agreeing(codes, narrowed[other].codes)
            if kept:
                codes = kept
        narrowed[k] = _Mention(narrowed[k].pos, narrowed[k].rank, codes)
    return narrowed


def _common_ancestor(codes: tuple[str, ...]) -> str:
    """The deepest code containing all sorted *codes* ("" when in different provinces)."""
    low, high = codes[0], codes[-1]
    shared = 0
    for a, b in zip(low, high, strict=False):
        if a != b:
            break
        shared += 1
    for length in _CODE_LENS:
        if length <= shared and length <= len(low):
            return low[:length]
    return ""


@functools.cache
def gazetteer() -> Gazetteer:
    """The gazetteer, read from the packaged list on first use and kept for the process."""
    raw = resources.files("normalizer").joinpath(_DATA).read_bytes()
    return Gazetteer(gzip.decompress(raw).decode("utf-8"))


def preload() -> None:
    """Load the gazetteer now (at start) rather than on the first complaint."""
    gazetteer()


def resolve_region(text: str) -> Region | None:
    """The administrative region *text* names, at the deepest level it is unambiguous, or None."""
    return gazetteer().resolve(text)
