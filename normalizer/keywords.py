"""Leading keywords of a citizen's text message, shared by the text doors (SMS, WhatsApp).

:func:`parse_keywords` decides what the citizen meant from the first words, case-insensitive,
tolerant of ``#`` and punctuation:

* ``CEK <id>`` / ``STATUS <id>``: status query, answered, no report.
* ``LAPOR`` / ``#LAPOR``: dropped. ``ANONIM`` and ``RAHASIA``: flags (both may be given, any
  order). Regional prefixes from the door's config (``PAPUA``) set the region.
* ``BANTUAN`` / ``INFO`` / ``HELP`` followed by nothing substantial, and any text shorter
  than *min_chars* after the keywords: the help text. (``INFO`` followed by a real
  complaint is a complaint: "Info, jalan rusak sejak 3 bulan" must not be lost.)
* ``STOP`` / ``BERHENTI`` *alone*: opt out of status updates. "Stop pungli di kelurahan!"
  is a complaint, so the keyword only counts when nothing else follows.

Pure: no I/O, no project imports beyond the normalizer's text clean-up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from normalizer.text import clean_text, drop_invisible

__all__ = ["Intent", "ParsedKeywords", "parse_keywords"]


class Intent(StrEnum):
    REPORT = "report"
    STATUS = "status"
    HELP = "help"
    STOP = "stop"


@dataclass(frozen=True)
class ParsedKeywords:
    """What the leading keywords of one text message say."""

    intent: Intent
    text: str = ""
    anonymous: bool = False
    confidential: bool = False
    region: str | None = None
    tracking_raw: str | None = None


_STATUS_WORDS = {"CEK", "STATUS"}
_HELP_WORDS = {"BANTUAN", "INFO", "HELP"}
_STOP_WORDS = {"STOP", "BERHENTI"}
_DROP_WORDS = {"LAPOR"}
# separators tolerated around keywords: spaces, '#', and common punctuation
_SEP = re.compile(r"^[\s#.,:;!?\-*/_=+()\[\]'\"]*")
_WORD = re.compile(r"^[^\W\d_]+", re.UNICODE)


def _next_word(text: str) -> tuple[str, str]:
    """(upper-cased leading word, rest of text after it) with separators skipped."""
    text = _SEP.sub("", text, count=1)
    match = _WORD.match(text)
    if not match:
        return "", text
    return match.group(0).upper(), text[match.end() :]


def _match_region(text: str, prefixes: Mapping[str, str]) -> tuple[str, str] | None:
    """Longest configured regional prefix (may be several words) at the start of *text*."""
    body = _SEP.sub("", text, count=1)
    for key in sorted(prefixes, key=len, reverse=True):
        words = key.upper().split()
        rest = body
        for word in words:
            got, rest = _next_word(rest)
            if got != word:
                break
        else:
            return prefixes[key], rest
    return None


def _after_visible(text: str, count: int) -> str:
    """*text* after its first *count* characters that :func:`drop_invisible` keeps."""
    seen = 0
    for i, ch in enumerate(text):
        if seen == count:
            return text[i:]
        if drop_invisible(ch):
            seen += 1
    return ""


def parse_keywords(
    text: str, *, regional_prefixes: Mapping[str, str], min_chars: int
) -> ParsedKeywords:
    """Decide the intent of a text from its leading keywords; see the module docstring."""
    cleaned = clean_text(text)
    # keywords are read on a copy without zero-width characters (stored text keeps them);
    # the report's text is then cut from the original at the same visible position
    probe = drop_invisible(cleaned)
    rest = probe
    anonymous = confidential = False
    region: str | None = None
    first = True
    while True:
        word, after = _next_word(rest)
        if word in _STATUS_WORDS:
            raw_id = _SEP.sub("", after, count=1).strip()
            if not raw_id:
                return ParsedKeywords(Intent.HELP)
            return ParsedKeywords(Intent.STATUS, tracking_raw=raw_id)
        if first and word in _STOP_WORDS and not _SEP.sub("", after).strip():
            return ParsedKeywords(Intent.STOP)
        if word in _HELP_WORDS and len(_SEP.sub("", after).strip()) < min_chars:
            return ParsedKeywords(Intent.HELP)
        if word in _DROP_WORDS:
            rest = after
        elif word == "ANONIM":
            anonymous, rest = True, after
        elif word == "RAHASIA":
            confidential, rest = True, after
        elif region is None and (hit := _match_region(rest, regional_prefixes)) is not None:
            region, rest = hit
        else:
            break
        first = False
    rest = _after_visible(cleaned, len(probe) - len(rest))
    body = _SEP.sub("", rest, count=1).strip()
    if len(body) < min_chars:
        return ParsedKeywords(Intent.HELP, anonymous=anonymous, confidential=confidential)
    return ParsedKeywords(
        Intent.REPORT, text=body, anonymous=anonymous, confidential=confidential, region=region
    )


