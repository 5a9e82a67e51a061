"""Rebuild ``slang.tsv`` from the upstream Kamus-Alay CSV (see README.md in this folder).

Usage: ``python -m normalizer.data.make_slang Kamu-Alay.csv > normalizer/data/slang.tsv``

Only entries a reader would expand the same way in any complaint survive: the slang is a
shortening or respelling of its formal form (its letters appear in order in it), the slang
itself is not an Indonesian word (Sastrawi's root list, or a word that stems to a root), the
formal form is Indonesian, and the gateway's own hand list (``ABBREVIATIONS``) has no entry
for it. Two-letter keys and the entries in :data:`REJECTED` (checked by hand) are left out.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Iterator
from importlib import resources

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from normalizer.lexicon import ABBREVIATIONS

#: entries that pass the rules but were judged wrong or unsafe on review: another real word
#: or a place code (``smg`` Semarang vs semoga), a meaning that changes with context, insults.
REJECTED: frozenset[str] = frozenset(
    """
    smg smoga semuga ajg anj anjg ajggg ajigggg anjai anjim anjrit jancuk jingan gblk gblg
    gblggg goblo guoblok bgst kmtllll munfik muna bokep cimeng maho cong gokil gile kerad
    bcoz coz akika akkoh akko eke iq ako ak aku akuu akku akyu aqu aquwh akuwh saia
    kamuh kamuwh kamyu klianz klian qmu qmo lw lowh loe lo maneh urang aing gwa gwe gw
    mt pk pp ts tst ed ex red ref reg lamp ka kk kapt ceu beb ayang ayank ay syg chuyunk
    bimbuluh bansarkas banpur banpol hubad hubla kibus gino madesu bohay jablay pw
    ul us un sept ath atuh low kn khan da de la ne nie ni niyh siech ciyh deyh dongs
    mamz mam maem ngiler nsk bo iyo iyala yak iyh yo yap yup ya
    plg pst mgu bl bk tgu hum humz houm ru suk ki leh can
    trima trm tls ru wat ujg brg bw bt kbar kbr
    diruma sma spa sni jan spd sbh ena keja lebi banya tida sll tll tkt cin cew cow mba
    dpr kpai pki ptn ppdb utbk ukt krs ipk spp perda pemda pemkot polantas ponpes lapas
    mabes kanwil kabag kabid kadit kadiv kasat kasubbag kepsek kesbang kesra reskrim lanud
    telkom raskin sembako pilkada parpol otda pansus clbk nekolim napol napi wamil wadir
    subbag latgab pelatnas kejurnas komdis konjen rakor renstra mubes muker munas munaslub
    musda migas kamtib kamtibmas banpres bandes tepar salting somse caper moge nasgor
    warkop warteg markus magabut kopdar kloter tabanas kodya bonek buser malming gaptek
    gatek tipsen pjj pembelajaranjarakjauh matkul mapel medsos mtk smt mhs adkel aljasa
    dripada asbun astul curcol jurdil jubir ansos miker mikol miras pemred trdhulu ckp cpe mrah
    """.split()
)
_PROFANE: frozenset[str] = frozenset(
    "anjing bodoh goblok kontol bajingan bangsat sialan porno homo banci gila mati".split()
)
_WORD = re.compile(r"[a-z]{3,}")
_FORMAL = re.compile(r"[a-z]+(?: [a-z]+){0,3}")


def _in_order(short: str, full: str) -> bool:
    """True when every letter of *short* appears in *full* in the same order."""
    letters = iter(full.replace(" ", ""))
    return all(ch in letters for ch in short)


def _respelling(slang: str, formal: str) -> bool:
    """*slang* is a shortening/respelling of *formal*: same first letter (or the colloquial
    ``ng``/``ny`` for an active ``me-`` verb) and its letters in order in *formal*."""
    colloquial_verb = slang[0] == "n" and formal.startswith("me")
    return (slang[0] == formal[0] or colloquial_verb) and _in_order(slang, formal)


def select(rows: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The entries of *rows* (slang, formal) that survive the rules in the module docstring."""
    roots = frozenset(
        resources.files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt").read_text().split()
    )
    stem = StemmerFactory().create_stemmer().stem
    hand_words = {w for v in ABBREVIATIONS.values() for w in v.split()}
    seen: set[str] = set()
    for raw_slang, raw_formal in rows:
        slang, formal = raw_slang.strip().lower(), raw_formal.strip().lower()
        if not _WORD.fullmatch(slang) or not _FORMAL.fullmatch(formal):
            continue
        if slang in seen or slang in ABBREVIATIONS or slang in REJECTED:
            continue
        if slang in roots or stem(slang) in roots:
            continue
        formal = " ".join(ABBREVIATIONS.get(w, w) for w in formal.split())
        words = formal.split()
        if formal == slang or any(w in _PROFANE for w in words):
            continue
        if not all(w in roots or w in hand_words or stem(w) in roots for w in words):
            continue
        if not _respelling(slang, formal):
            continue
        seen.add(slang)
        yield slang, formal


def main(argv: list[str]) -> int:
    """Read the upstream CSV named in *argv*, write the TSV to stdout."""
    with open(argv[1], encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)  # header: kataAlay,kataBaik
        kept = sorted(select((r[0], r[1]) for r in reader if len(r) >= 2))
    for slang, formal in kept:
        sys.stdout.write(f"{slang}\t{formal}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
