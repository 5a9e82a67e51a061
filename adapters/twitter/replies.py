"""Text of the public reply tweets: 280 weighted characters, no URLs, no complaint text.

A public tweet is public by nature: the reply must not echo what the citizen wrote (it
might name a person, an address or a bribe amount) and, when the citizen asked for
``RAHASIA``/``ANONIM`` or the operator wants it, the reply asks to continue by DM instead
of giving anything beyond the tracking ID in public.

Length is X's *weighted* length (twitter-text v3): code points in a few Latin/punctuation
ranges weigh 1, everything else (CJK, emoji...) weighs 2, any URL weighs 23 whatever its
length; the limit is 280. An emoji ZWJ sequence weighs 2 on X but is counted here per code
point: an over-count, so a reply is at worst cut a little early, never rejected as too
long. Acks avoid URLs entirely: X would shorten and preview them, and a
link in a reply from an official account is the classic phishing template.
"""

from __future__ import annotations

import re
import unicodedata

from normalizer.tracking import display

MAX_WEIGHTED = 280
URL_WEIGHT = 23

# twitter-text v3 config: ranges of weight 100 (=1 char); everything else weighs 200 (=2).
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b(?:[a-z0-9-]+\.)+(?:go\.id|co\.id|or\.id|ac\.id|id|com|net|org|info|io|ly|me|co)\b(?:/\S*)?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t]+")

DM_INVITE = "Demi kerahasiaan, lanjutkan lewat DM ke akun ini."
#: public text for a confidential report, by message kind: the tracking ID and nothing else
CONFIDENTIAL_TEXT = {
    "received": "LAPOR! Laporan Anda diterima. No: {tracking_id}.",
    "duplicate": "LAPOR! Laporan ini sudah kami terima dgn No: {tracking_id}.",
}
CONFIDENTIAL_DEFAULT = "LAPOR! Ada kabar untuk laporan No: {tracking_id}."


def _weight(ch: str) -> int:
    cp = ord(ch)
    return 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """X's weighted length of *text* (NFC), URLs counted as 23."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for match in _URL.finditer(text):
        total += sum(_weight(c) for c in text[pos : match.start()]) + URL_WEIGHT
        pos = match.end()
    return total + sum(_weight(c) for c in text[pos:])


def strip_urls(text: str) -> str:
    """Remove anything X would turn into a link."""
    return _SPACES.sub(" ", _URL.sub("", text)).strip()


def _truncate(text: str, budget: int) -> str:
    """Cut *text* at a word boundary to at most *budget* weighted characters (with ``…``)."""
    if weighted_length(text) <= budget:
        return text
    out = ""
    for word in text.split(" "):
        candidate = f"{out} {word}" if out else word
        if weighted_length(candidate + "…") > budget:
            break
        out = candidate
    return (out + "…") if out else ""


def compose_public_reply(
    text: str,
    *,
    tracking_id: str | None,
    invite_dm: bool,
    confidential: bool,
    kind: str = "received",
) -> str:
    """The reply tweet for an ack/status message already rendered from a template.

    *confidential*: the rendered text is replaced by a fixed minimal ack (a status note from a
    case handler could reveal content); only the tracking ID goes public. The tracking ID is
    kept whatever the truncation.
    """
    shown = display(tracking_id) if tracking_id else None
    if confidential:
        body = CONFIDENTIAL_TEXT.get(kind, CONFIDENTIAL_DEFAULT).format(tracking_id=shown or "-")
    else:
        body = text
    body = strip_urls(" ".join(body.split()))
    suffix = f" {DM_INVITE}" if invite_dm or confidential else ""
    id_tail = f" No: {shown}" if shown else ""

    def has_id(candidate: str) -> bool:
        return bool(shown) and (str(shown) in candidate or str(tracking_id) in candidate)

    if has_id(body):
        id_tail = ""
    budget = MAX_WEIGHTED - weighted_length(suffix) - weighted_length(id_tail)
    cut = _truncate(body, budget)
    if shown and has_id(body) and not has_id(cut):
        id_tail = f" No: {shown}"
        cut = _truncate(body, budget - weighted_length(id_tail))
    return (cut + id_tail + suffix).strip()


def asks_for_secrecy(text: str) -> tuple[bool, bool]:
    """(confidential, anonymous) requested by the keywords ``RAHASIA`` / ``ANONIM``."""
    words = {w.strip(".,:;!?#()[]").upper() for w in text.split()}
    return "RAHASIA" in words, bool(words & {"ANONIM", "ANONYMOUS"})
