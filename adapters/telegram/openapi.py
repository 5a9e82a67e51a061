"""The Telegram webhook in ``/openapi.json``, declared on the telegram registry row."""

from __future__ import annotations

from typing import Any

from adapters.telegram.config import TelegramConfig
from adapters.telegram.webhook import PATH, SECRET_HEADER


def openapi_paths(config: TelegramConfig) -> dict[str, Any]:
    """``POST /v1/telegram/webhook`` for ``/openapi.json`` (webhook mode only)."""
    if config.mode != "webhook":
        return {}
    error = {"description": "Error {error: {code, message}}"}
    return {
        PATH: {
            "post": {
                "summary": "An update from the Telegram Bot API (setWebhook secret_token)",
                "parameters": [
                    {
                        "name": SECRET_HEADER,
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "200": {"description": "Committed {handled, outcome, repeat}"},
                    "400": error,
                    "401": error,
                    "413": error,
                    "503": error,
                },
            }
        }
    }
