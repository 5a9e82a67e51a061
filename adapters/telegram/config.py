"""Config of the Telegram bot adapter (``[adapters.telegram]``).

One of two ways in, by ``mode``: ``polling`` (long polling ``getUpdates``; no public URL
needed) or ``webhook`` (Telegram POSTs to ``/v1/telegram/webhook``; the webhook itself is
registered by the operator with ``setWebhook`` and the same ``secret_token``). Telegram
refuses ``getUpdates`` while a webhook is set, so the two never run together.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.api_settings import ApiBaseUrl
from gateway.settings_base import Settings

#: ``<bot id>:<secret>`` as BotFather issues it
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
#: Telegram allows 1-256 characters ``A-Z a-z 0-9 _ -`` in ``secret_token``
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

DEFAULT_HELP = (
    "LAPOR! lewat Telegram: tulis keluhan Anda (apa, di mana, sejak kapan) dalam satu pesan. "
    "Foto: kirim dengan keterangan (caption). Lokasi: kirim lokasi lalu keluhan Anda. "
    "Cek status: /cek <nomor>. Rahasia: /rahasia <keluhan>. Anonim: /anonim <keluhan>. "
    "Berhenti kabar status: STOP."
)


class TelegramConfig(Settings):
    enabled: bool = False
    #: from BotFather; write it as ``${ENV}``, never inline
    bot_token: SecretStr = SecretStr("")
    mode: Literal["polling", "webhook"] = "polling"
    #: ``X-Telegram-Bot-Api-Secret-Token`` Telegram sends with every webhook call
    webhook_secret: SecretStr = SecretStr("")
    #: the Bot API server (a self-hosted ``telegram-bot-api`` or a test server works too)
    api_base_url: ApiBaseUrl = "https://api.telegram.org"
    #: long-poll ``timeout`` of ``getUpdates`` (seconds Telegram holds an empty request)
    poll_timeout_s: int = Field(default=30, ge=0, le=50)
    #: pause between two polls (0: the long poll itself is the wait)
    poll_interval_s: float = Field(default=0.0, ge=0)
    #: update kinds asked for; anything else Telegram does not send
    allowed_updates: list[str] = Field(default_factory=lambda: ["message"])
    #: updates per ``getUpdates`` request (Telegram allows 1-100)
    batch_size: int = Field(default=100, ge=1, le=100)
    #: one API request (the long poll adds ``poll_timeout_s``)
    request_timeout_s: float = Field(default=20.0, gt=0)
    #: back-off after a failed poll: first delay and cap
    backoff_floor_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    #: largest photo downloaded (the mobile app's per-photo limit); bigger sizes fall back
    #: to the largest preview Telegram has under the limit
    max_photo_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    #: messages shorter than this (after commands) are not complaints: help text instead
    min_report_chars: int = Field(default=10, ge=1)
    #: a location shared alone is kept this long for the chat's next complaint
    location_hold_s: float = Field(default=1800.0, gt=0)
    #: outbound messages per second for the whole bot (Telegram allows about 30)
    send_rate_per_s: float = Field(default=25.0, gt=0)
    #: ``send`` waits at most this long for a slot, else asks the outbox to retry later
    max_send_wait_s: float = Field(default=5.0, ge=0)
    #: the answer to /start, /bantuan, greetings and "tes" (replaces the SMS help template)
    help_text: str = Field(default=DEFAULT_HELP, min_length=1, max_length=4096)

    @field_validator("allowed_updates")
    @classmethod
    def _allowed(cls, value: list[str]) -> list[str]:
        if "message" not in value:
            raise ValueError("must include 'message' (the only kind that files reports)")
        return value

    @model_validator(mode="after")
    def _required(self) -> TelegramConfig:
        if not self.enabled:
            return self
        problems = []
        if not _TOKEN.match(self.bot_token.get_secret_value()):
            problems.append("bot_token (the '<bot id>:<secret>' token BotFather gave)")
        if self.mode == "webhook" and not _SECRET.match(self.webhook_secret.get_secret_value()):
            problems.append("webhook_secret (1-256 characters A-Z a-z 0-9 _ -) for mode webhook")
        if problems:
            raise ValueError("enabled but missing or malformed " + "; ".join(problems))
        return self
