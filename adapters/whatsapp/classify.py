"""Obvious non-complaints: answered with the help text, counted, never filed (pure).

A flood of "tes", greetings and stickers must not bury real complaints, and a real complaint
must never be swallowed. So a message is a non-complaint only when it holds *nothing but*:

* a sticker or a reaction (message types ``sticker``, ``reaction``): ``sticker`` / ``reaction``;
* a type we cannot file (``audio``, ``video``, ``contacts``, ``unsupported``, ``system``,
  anything unknown): ``unsupported``;
* text with no letter or digit at all (emoji, punctuation): ``emoji``;
* text whose every word is a test word (:data:`TEST_WORDS`), optionally with digits
  ("tes", "test 123", "coba coba"): ``test``;
* text whose every word is a greeting or a form of address (:data:`GREETING_WORDS`)
  ("halo", "selamat pagi min", "assalamualaikum pak"): ``greeting``.

One word outside those lists ("halo, jalan rusak") makes the text a complaint candidate; the
keyword rules (and their minimum length) decide the rest.
"""

from __future__ import annotations

import re

GREETING_WORDS = frozenset(
    {
        "halo",
        "hallo",
        "helo",
        "hello",
        "hai",
        "hi",
        "hey",
        "p",
        "ping",
        "permisi",
        "salam",
        "selamat",
        "pagi",
        "siang",
        "sore",
        "malam",
        "assalamualaikum",
        "assalamu",
        "alaikum",
        "waalaikumsalam",
        "wr",
        "wb",
        "min",
        "mimin",
        "admin",
        "kak",
        "kakak",
        "pak",
        "bapak",
        "bu",
        "ibu",
        "mas",
        "mbak",
        "om",
        "gan",
        "sis",
        "bro",
        "terima",
        "kasih",
        "makasih",
        "thanks",
        "thank",
        "you",
        "ok",
        "oke",
        "okay",
        "baik",
        "ya",
        "iya",
        "y",
    }
)
TEST_WORDS = frozenset({"tes", "test", "testing", "tst", "coba", "cobain", "percobaan", "uji"})
#: message types that carry text or something we can file
FILEABLE_TYPES = frozenset({"text", "interactive", "button", "image", "document", "location"})

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def non_complaint(message_type: str, text: str | None) -> str | None:
    """The reason a message is not a complaint (see the module docstring), or None."""
    if message_type in {"sticker", "reaction"}:
        return message_type
    if message_type not in FILEABLE_TYPES:
        return "unsupported"
    if message_type in {"image", "document", "location"} and not text:
        return None  # media and places without a caption are handled by the door
    if not text:
        return "empty"
    words = [w.lower().replace("'", "") for w in _WORDS.findall(text.replace("'", ""))]
    if not words:
        return "emoji"
    letters = [w for w in words if not w.isdigit()]
    if not letters:
        return None  # digits alone (a tracking id, a number) are for the keyword rules
    if all(w in TEST_WORDS for w in letters):
        return "test"
    if all(w in GREETING_WORDS for w in letters):
        return "greeting"
    return None
