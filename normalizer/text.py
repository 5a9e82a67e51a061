"""Text clean-up shared by every channel.

Citizens type on feature phones, paste from chat apps and send through SMSCs that mangle
control bytes. Every channel's text goes through :func:`clean_text` so that the store,
deduplication and the core case store all see the same canonical form.
"""

from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except TAB and LF, plus DEL; also zero-width and bidi controls,
# which are invisible in a case handler's screen but change fingerprints.
_CONTROL = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_CRLF = re.compile(r"\r\n?")
_BLANK_LINES = re.compile(r"\n{3,}")


class EmptyTextError(ValueError):
    """The text is empty once cleaned: there is no complaint to file."""


def clean_text(raw: str) -> str:
    """Return *raw* NFC-normalized, with control characters removed and outer whitespace trimmed.

    Line breaks are kept (a complaint may be a list) but CR/CRLF become LF and runs of blank
    lines collapse, so the same message typed on two devices cleans to the same string.
    """
    text = unicodedata.normalize("NFC", raw)
    text = _CRLF.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def require_text(raw: str) -> str:
    """Clean *raw* and raise :class:`EmptyTextError` when nothing is left."""
    text = clean_text(raw)
    if not text:
        raise EmptyTextError("text is empty after clean-up")
    return text
