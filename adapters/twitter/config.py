"""Config of the X (Twitter) adapter (``[adapters.twitter]``).

Credentials are user context: either the four OAuth 1.0a keys, or an OAuth 2.0 user access
token in ``bearer_token`` (used when the OAuth 1.0a keys are empty). ``consumer_secret`` is also
the key of the webhook CRC and signature check.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.api_settings import ApiBaseUrl
from gateway.settings_base import Settings


class TwitterConfig(Settings):
    enabled: bool = False
    #: default the real API; point it at any compatible server (tests use a local one)
    api_base_url: ApiBaseUrl = "https://api.x.com"
    user_id: str = ""
    screen_name: str = "lapor1708"
    consumer_key: SecretStr = SecretStr("")
    consumer_secret: SecretStr = SecretStr("")
    access_token: SecretStr = SecretStr("")
    access_token_secret: SecretStr = SecretStr("")
    bearer_token: SecretStr = SecretStr("")
    poll_interval_s: float = Field(default=60.0, gt=0)
    #: interval used after ``idle_after_polls`` consecutive polls that found nothing
    idle_poll_interval_s: float = Field(default=300.0, gt=0)
    idle_after_polls: int = Field(default=5, ge=1)
    require_hashtag: bool = False
    hashtag: str = "lapor"
    #: replies per minute
    reply_rate_per_min: float = Field(default=30.0, gt=0)
    #: first start with no cursor reads mentions from this ISO time on (empty: now)
    start_time: str = ""
    #: always invite the citizen to continue by DM
    always_invite_dm: bool = False
    #: poll the mentions timeline / DM events (the webhook can replace either)
    poll_mentions: bool = True
    poll_dms: bool = True
    #: mount ``GET|POST /v1/twitter/webhook`` (Account Activity API)
    webhook_enabled: bool = False
    #: DMs become confidential reports
    dm_confidential: bool = True
    #: re-poll this far behind the cursor: X indexes some mentions late
    overlap_s: float = Field(default=120.0, ge=0)
    #: page size of the mentions / DM requests (X allows 5..100)
    page_size: int = Field(default=100, ge=5, le=100)
    #: hard cap on pages fetched in one poll (the mentions timeline stops at 800 anyway)
    max_pages: int = Field(default=20, ge=1)
    #: HTTP timeout of one API request
    request_timeout_s: float = Field(default=20.0, gt=0)
    #: back-off after a 429 without reset headers, and the base of 5xx/network back-off
    backoff_floor_s: float = Field(default=60.0, gt=0)
    backoff_max_s: float = Field(default=900.0, gt=0)
    #: ``send`` waits at most this long for a reply slot, else asks the outbox to retry later
    max_send_wait_s: float = Field(default=5.0, ge=0)

    @field_validator("hashtag")
    @classmethod
    def _hashtag(cls, value: str) -> str:
        return value.strip().lstrip("#").lower()

    @field_validator("start_time")
    @classmethod
    def _start_time(cls, value: str) -> str:
        if value.strip():
            parse_start_time(value)
        return value.strip()

    @model_validator(mode="after")
    def _credentials(self) -> TwitterConfig:
        if not self.enabled:
            return self
        missing = []
        if not self.user_id.strip().isdigit():
            missing.append("user_id (numeric X user id of the account)")
        if not self.oauth1 and not self.bearer_token.get_secret_value():
            missing.append(
                "credentials (consumer_key, consumer_secret, access_token, "
                "access_token_secret, or an OAuth 2.0 user token in bearer_token)"
            )
        if self.webhook_enabled and not self.consumer_secret.get_secret_value():
            missing.append("consumer_secret (the webhook signature key)")
        if missing:
            raise ValueError("enabled but missing " + "; ".join(missing))
        return self

    @property
    def oauth1(self) -> bool:
        """True when the OAuth 1.0a user-context keys are all present."""
        return all(
            s.get_secret_value()
            for s in (
                self.consumer_key,
                self.consumer_secret,
                self.access_token,
                self.access_token_secret,
            )
        )


def parse_start_time(value: str) -> datetime:
    """ISO 8601 time (``Z`` allowed); a naive time is taken as UTC."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
