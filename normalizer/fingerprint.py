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
  :data:`normalizer.lexicon.ABBREVIATIONS` laid over a vendored colloquial lexicon, and
  letter repetition (``tolongggg``) is squeezed so spelling variants do not look like
  different words;
* "di"/"ke" glued to a place is split off (``dirmh`` -> ``di rumah``, ``kesekolah`` ->
  ``ke sekolah``); real words (``dinas``, ``kepala``) and passive verbs (``dipungut``) stay;
* an amount of money becomes its value in rupiah as plain digits: ``Rp 780.000,-``,
  ``780rb``, ``780 ribu`` and ``780k`` are all ``780000``; ``1,5 jt`` is ``1500000``.
  Other numbers (RT/RW, years, times) are left as they are.

From that sequence we derive word shingles (sets of ``k`` consecutive words) and containment
(how much of an earlier text is inside a later one: the "same complaint plus new detail"
case).

Everything here is pure and deterministic across processes, so a text normalized today
compares equal to the same text normalized yesterday.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from normalizer.lexicon import EXPANSIONS, split_di_ke
from normalizer.text import drop_invisible

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
                split = split_di_ke(word)
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
