"""Phone numbers (MSISDNs) in E.164, via Google's ``phonenumbers``.

Indonesian numbers arrive as ``0812...``, ``62812...``, ``+62 812-...`` or ``812...`` depending
on the SMSC, the modem and the web form. Reporter identity (and so deduplication across
channels) needs one form: E.164. Hand-written prefix rules get this wrong for other
countries and for numbers with national trunk prefixes, so we use ``phonenumbers``.
"""

from __future__ import annotations

import functools

import phonenumbers

#: distinct numbers whose E.164 form (or rejection) is remembered; one SMS asks for its
#: sender's number two or three times (the transport, the report's validation, the forward)
CACHE_SIZE = 8192
#: longer input (a web form's garbage) is parsed without being remembered: the cache's
#: memory stays bounded by its size times this
CACHE_MAX_CHARS = 40


class InvalidPhoneError(ValueError):
    """The string is not a plausible phone number."""


def to_e164(raw: str, region: str = "ID") -> str:
    """Return *raw* as an E.164 string (``+6281234567890``) or raise :class:`InvalidPhoneError`.

    A bare international form without ``+`` (``6281...``, as SMSCs send with TON=international)
    is accepted too. Results are cached per (*raw*, *region*) in a bounded LRU: parsing is
    costly, and the same number is asked for again at each step of an SMS's intake (and at
    every message of a citizen who writes often).
    """
    if len(raw) > CACHE_MAX_CHARS:
        return _parse_e164(raw, region)
    e164, problem = _e164_cached(raw, region)
    if e164 is None:
        raise InvalidPhoneError(problem)
    return e164


@functools.lru_cache(maxsize=CACHE_SIZE)
def _e164_cached(raw: str, region: str) -> tuple[str | None, str]:
    """(E.164, "") or (None, why not): :func:`to_e164` without the exception, so that a
    rejection is cached too."""
    try:
        return _parse_e164(raw, region), ""
    except InvalidPhoneError as exc:
        return None, str(exc)


def _parse_e164(raw: str, region: str) -> str:
    candidate = raw.strip()
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if not digits or len(digits) > 17:
        raise InvalidPhoneError("not a phone number")
    try:
        number = phonenumbers.parse(candidate, region)
        if not candidate.startswith("+") and _international_without_plus(digits, number):
            number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneError("not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _international_without_plus(digits: str, national: phonenumbers.PhoneNumber) -> bool:
    """True when *digits* (written without ``+``) should be read as an international number.

    SMSCs and web forms send ``62811588942`` for ``+62 811-588-942``. Read as a national
    number it would also pass ``phonenumbers``' checks (``+62 62811588942``), so when the
    digits start with a country code and make a valid number with it, that reading wins."""
    if not phonenumbers.is_possible_number(national):
        return True
    if digits.startswith("0"):
        return False
    try:
        international = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(international)


def is_short_code(raw: str) -> bool:
    """True for alphanumeric senders and short codes, which must never be answered."""
    stripped = raw.strip().lstrip("+")
    return not stripped.isdigit() or len(stripped) <= 6
