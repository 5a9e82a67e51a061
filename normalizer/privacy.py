"""Masking of personal data for logs.

Phone numbers, e-mail addresses and X handles are personal data. Logs keep just enough to
correlate lines during an incident (the last digits, the first letter) and no more.
"""

from __future__ import annotations

import re

_PHONE = re.compile(r"\+?\d[\d\s\-]{6,}\d")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{1,15}\b")


def mask_phone(phone: str | None) -> str:
    """``+6281234567890`` -> ``+62*******7890``."""
    if not phone:
        return "-"
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if digits.startswith("+") else 2
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


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


def scrub(text: str) -> str:
    """Mask every phone number, e-mail address and @handle inside free text."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = _PHONE.sub(lambda m: mask_phone(re.sub(r"[\s\-]", "", m.group(0))), text)
    return _HANDLE.sub(lambda m: mask_handle(m.group(0)), text)
