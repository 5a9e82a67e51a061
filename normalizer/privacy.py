"""Masking of personal data for logs.

Phone numbers, e-mail addresses and X handles are personal data. Logs keep just enough to
correlate lines during an incident (the last digits, the first letter) and no more.

:func:`scrub` is the last line of defence for free text (code masks what it logs itself).
It masks every phone number, e-mail address and @handle and nothing else: tracking IDs,
SMPP status codes (``0x00000058``), counts, timestamps and other identifiers stay whole,
because an operator must be able to match a log line to a report. A number is a phone when

* it is written with ``+`` and has 7-15 digits (``+62 812-3456-7890``);
* it has 9-15 digits and starts with ``0`` or ``8`` (national form, ``0812 3456 7890``,
  also without its ``0``);
* it has 11-15 digits (international form without ``+``, as SMPP ``source_addr`` carries
  it: ``6281234567890``), unless it is a tracking ID.

A tracking ID (:mod:`normalizer.tracking`) is 12 digits with a valid check digit, written
whole or grouped 4-4-4; it never starts like a phone number (``0``, ``62``, ``8``), so every
Indonesian number is masked even when its digits happen to pass the check. Digits glued to
letters (hex, UUIDs, ``T20``) are not numbers; a date (``2026-11-29``) is not a phone.
"""

from __future__ import annotations

import re

from normalizer import tracking

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_HANDLE = r"(?<![\w@])@[A-Za-z0-9_]{1,15}(?!\w)"
# digits in groups joined by one space or dash; never glued to a letter or digit, nor the
# tail of a hyphenated identifier (a UUID's last group)
_NUMBER = r"(?<![\w+])(?<!\w-)\+?[0-9]+(?:[ \-][0-9]+)*(?!\w)"
_PERSONAL = re.compile(f"(?P<email>{_EMAIL})|(?P<handle>{_HANDLE})|(?P<number>{_NUMBER})")
_SEPARATORS = re.compile(r"[ \-]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GROUPED_ID = re.compile(r"\d{4}([ \-])\d{4}\1\d{4}")


def mask_phone(phone: str | None) -> str:
    """``+6281234567890`` -> ``+62*******7890``; too short to hide at least three characters
    between the kept head and tail (``12345``, an alphanumeric sender): all masked."""
    if not phone:
        return "-"
    digits = phone.strip()
    keep_head = 3 if digits.startswith("+") else 2
    hidden = len(digits) - keep_head - 4
    if hidden < 3:
        return "*" * len(digits)
    return digits[:keep_head] + "*" * hidden + digits[-4:]


def mask_email(email: str | None) -> str:
    """``budi@example.id`` -> ``b***@example.id``."""
    if not email or "@" not in email:
        return "-"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_handle(handle: str | None) -> str:
    """``@budi_santoso`` -> ``@b***``."""
    if not handle:
        return "-"
    name = handle.lstrip("@")
    return f"@{name[:1]}***"


def is_tracking_id(token: str) -> bool:
    """*token* as written is a tracking ID: 12 digits, whole or grouped 4-4-4, valid check
    digit, not phone-shaped."""
    if not (token.isdigit() or _GROUPED_ID.fullmatch(token)):
        return False
    digits = _SEPARATORS.sub("", token)
    return (
        len(digits) == tracking.LENGTH
        and tracking.is_valid(digits)
        and not tracking.looks_like_phone_prefix(digits)
    )


def is_phone(token: str) -> bool:
    """*token* (digits in groups, optionally with ``+``) is a phone number; see the module
    docstring for the rules."""
    digits = _SEPARATORS.sub("", token)
    if digits.startswith("+"):
        return 7 <= len(digits) - 1 <= 15
    if _DATE.fullmatch(token) or is_tracking_id(token):
        return False
    if digits.startswith(("0", "8")):
        return 9 <= len(digits) <= 15
    return 11 <= len(digits) <= 15


def _mask_number(token: str) -> str:
    parts = token.split(" ")
    # numbers side by side: "081234567890 3" is a phone and a count, judged one by one;
    # "0812 3456 7890" and "+62 812-3456-7890" are one phone written in groups
    if len(parts) > 1 and is_phone(parts[0]):
        return " ".join(_mask_number(part) for part in parts)
    if is_phone(token):
        return mask_phone(_SEPARATORS.sub("", token))
    if len(parts) > 1:
        return " ".join(_mask_number(part) for part in parts)
    return token


def _mask(match: re.Match[str]) -> str:
    if match.group("email") is not None:
        return mask_email(match.group(0))
    if match.group("handle") is not None:
        return mask_handle(match.group(0))
    return _mask_number(match.group(0))


def scrub(text: str) -> str:
    """Mask every phone number, e-mail address and @handle inside free text; keep tracking
    IDs, status codes, counts and timestamps (see the module docstring)."""
    return _PERSONAL.sub(_mask, text)
