"""``/openapi.json`` parts shared by the platform webhooks (Telegram, WhatsApp)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def webhook_post(
    summary: str,
    header: str,
    committed: str,
    error: dict[str, Any],
    error_codes: Iterable[str],
) -> dict[str, Any]:
    """A ``post`` operation: a JSON object body authenticated by the required *header*;
    200 (*committed*) once everything in it is committed, *error* for each of
    *error_codes*."""
    return {
        "summary": summary,
        "parameters": [
            {"name": header, "in": "header", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "responses": {"200": {"description": committed}, **{c: error for c in error_codes}},
    }
