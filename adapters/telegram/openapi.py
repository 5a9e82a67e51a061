"""The Telegram webhook in ``/openapi.json``, declared on the telegram registry row."""

from __future__ import annotations

from typing import Any

from adapters.telegram.config import TelegramConfig
from adapters.telegram.webhook import PATH, SECRET_HEADER
from adapters.webhook_doc import webhook_post


def openapi_paths(config: TelegramConfig) -> dict[str, Any]:
    """``POST /v1/telegram/webhook`` for ``/openapi.json`` (webhook mode only)."""
    if config.mode != "webhook":
        return {}
    error = {"description": "Error {error: {code, message}}"}
    return {
        PATH: {
            "post": webhook_post(
                "An update from the Telegram Bot API (setWebhook secret_token)",
                SECRET_HEADER,
                "Committed {handled, outcome, repeat}",
                error,
                ("400", "401", "413", "503"),
            )
        }
    }
