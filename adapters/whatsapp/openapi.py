"""``GET|POST /v1/whatsapp/webhook`` in ``/openapi.json``.

A function of the section (not of a running adapter), so the wiring can publish it from the
registry row like the other doors' paths.
"""

from __future__ import annotations

from typing import Any

from adapters.webhook_doc import webhook_post
from adapters.whatsapp.config import WhatsAppConfig
from adapters.whatsapp.webhook import PATH


def openapi_paths(section: WhatsAppConfig) -> dict[str, Any]:
    """The webhook's paths (empty when the door is disabled)."""
    if not section.enabled:
        return {}
    error = {"description": "Error {error: {code, message, field?}}"}
    query = [
        {"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
        for n in ("hub.mode", "hub.verify_token", "hub.challenge")
    ]
    return {
        PATH: {
            "get": {
                "summary": "Meta's webhook verification: answers hub.challenge",
                "parameters": query,
                "responses": {
                    "200": {
                        "description": "hub.challenge",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "403": error,
                },
            },
            "post": webhook_post(
                "WhatsApp Cloud API events (messages, statuses); 200 after commit",
                "X-Hub-Signature-256",
                "Every message and status committed",
                error,
                ("400", "401", "413", "422", "503"),
            ),
        }
    }
