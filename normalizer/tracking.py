"""Tracking IDs: what a citizen reads in an SMS and types back on a feature phone keypad.

Format: 12 decimal digits shown as ``XXXX-XXXX-XXXX``: 11 random digits and one Damm
check digit.

Why digits only: on a feature phone a digit is one key press, a letter up to four, and
digits survive being read aloud over the phone or copied from a paper receipt without the
O/0 and I/1 confusions of alphanumeric codes.

Why Damm: its quasigroup is weakly totally anti-symmetric, so the check digit detects
*every* single-digit substitution and *every* adjacent transposition (including one that
involves the check digit). ``tests/normalizer/test_tracking.py`` proves both exhaustively
over the quasigroup. Luhn misses 09<->90; ISO 7064 mod 11 needs an eleventh symbol.

Why random: 7.9 x 10^10 possible IDs (10^11 less the phone-shaped ones, below) drawn from
:mod:`secrets`, so IDs are not sequential and a guess at someone else's report succeeds
about once in eight thousand tries even with ten million reports stored (and the status
view is rate-limited and reveals no identity).
Uniqueness across restarts is a unique constraint in the store; a collision draws again.

Why never ``0...``, ``62...`` or ``8...``: that is how Indonesian phone numbers begin
(national ``08...``, international ``62...``, national without its ``0``). An ID that cannot
start like a phone number is never mistaken for one, by a citizen or by the log scrubber
(:func:`looks_like_phone_prefix`), which masks phone numbers and keeps tracking IDs whole.
The draw skips 21 % of the space.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

DATA_DIGITS = 11
LENGTH = DATA_DIGITS + 1
#: how phone numbers begin in the gateway's country; no tracking ID starts so
PHONE_PREFIXES = ("0", "62", "8")

# Damm's order-10 quasigroup (H. Michael Damm, 2004).
DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_SEPARATORS = re.compile(r"[\s\-_.#/]+")


class TrackingIdProblem(StrEnum):
    """Why a string is not a tracking ID; citizens get a different answer for each."""

    MALFORMED = "malformed"
    BAD_CHECK = "bad_check"


class InvalidTrackingIdError(ValueError):
    """Raised by :func:`parse`; ``problem`` tells a typo (bad check digit) from garbage."""

    def __init__(self, problem: TrackingIdProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def damm_interim(digits: str) -> int:
    """Run *digits* through the Damm quasigroup and return the final interim digit."""
    interim = 0
    for ch in digits:
        interim = DAMM_TABLE[interim][ord(ch) - 48]
    return interim


def check_digit(data: str) -> str:
    """The Damm check digit for the decimal string *data*."""
    return str(damm_interim(data))


def is_valid(digits: str) -> bool:
    """True when *digits* (check digit last) passes the Damm check."""
    return digits.isascii() and digits.isdigit() and damm_interim(digits) == 0


def looks_like_phone_prefix(digits: str) -> bool:
    """True when *digits* begins like an Indonesian phone number (``0``, ``62``, ``8``); no
    tracking ID drawn by :func:`new_tracking_id` does."""
    return digits.startswith(PHONE_PREFIXES)


def new_tracking_id() -> str:
    """A fresh random tracking ID in canonical (undashed) form, never phone-shaped."""
    while True:
        data = str(secrets.randbelow(10**DATA_DIGITS)).zfill(DATA_DIGITS)
        if not looks_like_phone_prefix(data):
            return data + check_digit(data)


def parse(raw: str) -> str:
    """Canonical form of a typed tracking ID, tolerant of case, spaces, dashes and a ``#``.

    Raises :class:`InvalidTrackingIdError` with ``problem`` BAD_CHECK when the shape is right but
    the check digit fails, so the citizen can be told "check the number" rather than
    "not found".
    """
    compact = _SEPARATORS.sub("", raw.strip()).upper()
    # isascii: str.isdigit() is also true for other scripts' digits ("٣", "²"), which the
    # Damm table cannot index
    if len(compact) != LENGTH or not (compact.isascii() and compact.isdigit()):
        raise InvalidTrackingIdError(
            TrackingIdProblem.MALFORMED, f"a tracking ID has {LENGTH} digits"
        )
    if not is_valid(compact):
        raise InvalidTrackingIdError(
            TrackingIdProblem.BAD_CHECK, "tracking ID check digit is wrong"
        )
    return compact


def display(tracking_id: str) -> str:
    """``123456789012`` -> ``1234-5678-9012`` for citizen-facing text."""
    return "-".join(tracking_id[i : i + 4] for i in range(0, len(tracking_id), 4))
