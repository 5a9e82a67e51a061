"""Text clean-up shared by every channel.

Citizens type on feature phones, paste from chat apps and send through SMSCs that mangle
control bytes. Every channel's text goes through :func:`clean_text` before it is stored, so
the store and the core case store see one canonical form of what the citizen wrote.

Two forms, on purpose:

* the **stored** text (:func:`clean_text`) is what the citizen wrote: NFC, LF line breaks,
  no control bytes. Zero-width characters stay, because they are spelling: U+200D (ZWJ)
  joins emoji sequences (the family emoji, a profession such as the woman health worker)
  and Indic conjuncts, U+200C (ZWNJ) is part of Persian and Indic words, U+200B separates
  words in scripts written without spaces, U+200E/U+200F mark direction in Arabic-script
  text. Removed are only C0/C1 controls (SMSC debris), the explicit bidi embedding,
  override and isolate controls (U+202A-U+202E, U+2066-U+2069: they reorder how the rest of
  a case handler's screen is drawn, and no script needs them to be spelled) and U+FEFF (a
  byte-order mark left by encoders).
* the **comparison** copy (:func:`comparable_text`) also drops every invisible format
  character, so a resend whose only difference is a zero-width character compares equal.
  Deduplication and fingerprints use this copy, never store it.
"""

from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except TAB and LF, plus DEL; bidi embedding/override/isolate
# controls and the BOM (see the module docstring for what is kept and why)
_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]")
# invisible format characters (Unicode category Cf) a comparison must not see: soft hyphen,
# Arabic letter mark, zero-width space/joiners, direction marks, word joiner and invisible
# operators, the Mongolian vowel separator
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064]")
_CRLF = re.compile(r"\r\n?")
_BLANK_LINES = re.compile(r"\n{3,}")


class EmptyTextError(ValueError):
    """The text is empty once cleaned: there is no complaint to file."""


def clean_text(raw: str) -> str:
    """Return *raw* NFC-normalized, with control characters removed and outer whitespace trimmed.

    Line breaks are kept (a complaint may be a list) but CR/CRLF become LF and runs of blank
    lines collapse, so the same message typed on two devices cleans to the same string.
    Zero-width joiners and the other characters that spell words and emoji are kept.
    """
    text = unicodedata.normalize("NFC", raw)
    text = _CRLF.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def drop_invisible(text: str) -> str:
    """*text* without invisible format characters (zero-width space and joiners, direction
    marks, soft hyphen, word joiner): the one step a comparison of already cleaned text
    needs, cheap enough for the per-report fingerprint. Never store the result."""
    return _INVISIBLE.sub("", text)


def comparable_text(text: str) -> str:
    """A copy of *text* for comparisons only: :func:`clean_text` without invisible format
    characters, so ``"lam\\u200bpu"`` and ``"lampu"`` compare equal. Never store it."""
    return drop_invisible(clean_text(text)).strip()


def require_text(raw: str) -> str:
    """Clean *raw* and raise :class:`EmptyTextError` when nothing visible is left (a text of
    zero-width characters only is empty)."""
    text = clean_text(raw)
    # clean text starts with a non-space: when that is not an invisible character, something
    # visible is there (the common case, decided without a second pass over the text)
    if not text or (_INVISIBLE.match(text) and not drop_invisible(text).strip()):
        raise EmptyTextError("text is empty after clean-up")
    return text
