"""Phone numbers (MSISDNs) in E.164, via Google's ``phonenumbers``.

Indonesian numbers arrive as ``0812...``, ``62812...``, ``+62 812-...`` or ``812...`` depending
on the SMSC, the modem and the web form. Reporter identity (and so deduplication across
channels) needs one form: E.164. Hand-written prefix rules get this wrong for other
countries and for numbers with national trunk prefixes, so we use ``phonenumbers``.
"""

from __future__ import annotations

import phonenumbers


class InvalidPhoneError(ValueError):
    """The string is not a plausible phone number."""


def to_e164(raw: str, region: str = "ID") -> str:
    """Return *raw* as an E.164 string (``+6281234567890``) or raise :class:`InvalidPhoneError`.

    A bare international form without ``+`` (``6281...``, as SMSCs send with TON=international)
    is accepted too.
    """
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
