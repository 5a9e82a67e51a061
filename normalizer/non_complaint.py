"""Texts that are obviously not complaints, the rule every messaging door shares (pure).

A flood of "tes", greetings and emoji must not bury real complaints, and a real complaint
must never be swallowed. So a text is a non-complaint only when it holds *nothing but*:

* no letter or digit at all (emoji, punctuation): ``emoji``;
* words that are all test words (:data:`TEST_WORDS`), optionally with digits
  ("tes", "test 123", "coba coba"): ``test``;
* words that are all greetings, thanks or forms of address (:data:`GREETING_WORDS`)
  ("halo", "selamat pagi min", "assalamualaikum pak", "terima kasih"): ``greeting``.

One word outside those lists ("halo, jalan rusak") makes the text a complaint candidate;
the keyword rules (and their minimum length) decide the rest. Digits alone (a tracking ID)
are left to the keyword rules too.
"""

from __future__ import annotations

import re

GREETING_WORDS = frozenset(
    {
        "halo", "hallo", "helo", "hello", "hai", "hi", "hey", "p", "ping", "permisi",
        "salam", "selamat", "pagi", "siang", "sore", "malam", "assalamualaikum", "assalamu",
        "alaikum", "waalaikumsalam", "wr", "wb", "min", "mimin", "admin", "kak", "kakak",
        "pak", "bapak", "bu", "ibu", "mas", "mbak", "om", "gan", "sis", "bro", "terima",
        "kasih", "makasih", "thanks", "thank", "you", "ok", "oke", "okay", "baik", "ya",
        "iya", "y",
    }
)  # fmt: skip
TEST_WORDS = frozenset({"tes", "test", "testing", "tst", "coba", "cobain", "percobaan", "uji"})

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def text_non_complaint(text: str) -> str | None:
    """The reason *text* is not a complaint (see the module docstring), or None."""
    words = [w.lower() for w in _WORDS.findall(text.replace("'", ""))]
    if not words:
        return "emoji"
    letters = [w for w in words if not w.isdigit()]
    if not letters:
        return None
    if all(w in TEST_WORDS for w in letters):
        return "test"
    if all(w in GREETING_WORDS for w in letters):
        return "greeting"
    return None
