"""Obvious non-complaints: answered with the help text, counted, never filed (pure).

A flood of "tes", greetings and stickers must not bury real complaints, and a real complaint
must never be swallowed. So a message is a non-complaint only when it holds *nothing but*:

* a sticker or a reaction (message types ``sticker``, ``reaction``): ``sticker`` / ``reaction``;
* a type we cannot file (``audio``, ``video``, ``contacts``, ``unsupported``, ``system``,
  anything unknown): ``unsupported``;
* text that :func:`normalizer.non_complaint.text_non_complaint` calls ``emoji``, ``test``
  or ``greeting`` (the word rule shared by the text doors).
"""

from __future__ import annotations

from normalizer.non_complaint import text_non_complaint

#: message types that carry text or something we can file
FILEABLE_TYPES = frozenset({"text", "interactive", "button", "image", "document", "location"})


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
    return text_non_complaint(text)
