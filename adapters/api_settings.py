"""Config field types shared by the adapters that call a platform's HTTP API (X, Telegram,
WhatsApp): one check, so every ``api_base_url`` accepts and rejects the same values."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _base_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


#: an API's base URL (the real platform by default; tests point it at a local fake):
#: ``http://`` or ``https://``, stored without surrounding blanks or a trailing slash
ApiBaseUrl = Annotated[str, AfterValidator(_base_url)]
