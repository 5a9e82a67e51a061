"""The one ``Report`` schema every channel produces.

Adapters build a :class:`Report` from whatever their transport delivered; the pipeline,
store, outbox and core case store only ever see this shape. Validation here is the single
place where text is cleaned, phone numbers become E.164 and times become UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from normalizer.phone import to_e164
from normalizer.text import clean_text, require_text


class Channel(StrEnum):
    """The door the citizen used. Acks and status updates go back through the same door."""

    SMS = "sms"
    TWITTER = "twitter"
    WEB = "web"
    MOBILE = "mobile"
    OPEN311 = "open311"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Reporter(_Model):
    """Who complained. Every field is personal data: masked in logs, hidden when anonymous."""

    phone: str | None = None
    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200)
    x_user_id: str | None = Field(default=None, max_length=40)
    x_handle: str | None = Field(default=None, max_length=40)
    telegram_user_id: str | None = Field(default=None, max_length=40)
    device_id: str | None = Field(default=None, max_length=200)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        return to_e164(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        local, at, domain = value.partition("@")
        if not at or not local or "." not in domain or " " in value:
            raise ValueError("not an e-mail address")
        return value

    def identity_keys(self) -> list[str]:
        """Normalized identities that make two reports "the same reporter" across channels."""
        keys = []
        if self.phone:
            keys.append(f"phone:{self.phone}")
        if self.email:
            keys.append(f"email:{self.email}")
        if self.x_user_id:
            keys.append(f"x:{self.x_user_id}")
        if self.user_id:
            keys.append(f"user:{self.user_id}")
        if self.telegram_user_id:
            keys.append(f"telegram:{self.telegram_user_id}")
        return keys


class Location(_Model):
    """Where the problem is; any part may be missing."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)
    region: str | None = Field(default=None, max_length=100)


class Attachment(_Model):
    """A photo or document: a URL the citizen gave, or a file we stored (by sha256)."""

    url: str = Field(max_length=2000)
    content_type: str | None = Field(default=None, max_length=100)
    sha256: str | None = None
    size: int | None = None


class ReplyAddress(_Model):
    """Where acks and status updates for this report go.

    ``adapter`` is the registry name of the adapter that sends (``sms.smpp``, ``web``...);
    ``address`` is the channel's address (E.164 MSISDN, callback URL, X user id);
    ``route`` picks a bind or modem; ``in_reply_to`` threads a reply (tweet id).
    """

    adapter: str
    address: str
    route: str | None = None
    in_reply_to: str | None = None
    mode: str | None = None


class SimilarLink(_Model):
    """A report from someone else that looks like the same problem."""

    tracking_id: str
    score: float


class PossibleDuplicate(_Model):
    """A link from a new case to an earlier report *of the same reporter* that may be the
    same complaint, for a case handler to merge or not.

    Level 2 merges (``duplicate_of``) only when near-certain; anything less certain opens a
    new case with this link, so a new complaint never disappears into an old one.
    ``evidence`` names the kinds of agreement found (never personal data or report text)."""

    tracking_id: str
    score: float
    evidence: list[str] = Field(default_factory=list)


class Report(_Model):
    """One complaint, from any channel."""

    tracking_id: str | None = None
    channel: Channel
    transport: str = Field(description="transport instance, e.g. 'http', 'smpp:telkomsel'")
    external_id: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    reporter: Reporter = Field(default_factory=Reporter)
    text: str = Field(max_length=20_000)
    title: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    location: Location | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    anonymous: bool = False
    confidential: bool = False
    reply_to: ReplyAddress | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
    duplicate_of: str | None = None
    possible_duplicate_of: PossibleDuplicate | None = None
    similar_to: list[SimilarLink] = Field(default_factory=list)
    #: Kemendagri region code resolved from the text (see :mod:`normalizer.regions`), set
    #: when the report is forwarded; ``location.region`` is whatever the channel sent
    region: str | None = Field(default=None, max_length=20)
    throttled: bool = False

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return require_text(value)

    @field_validator("title", "category")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return clean_text(value) or None

    @field_validator("received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("received_at must carry a timezone")
        return value.astimezone(UTC)

    def public_view(self) -> dict[str, Any]:
        """What may leave the gateway toward the public: no identity if anonymous, no text if
        confidential."""
        view: dict[str, Any] = {
            "tracking_id": self.tracking_id,
            "channel": self.channel.value,
            "received_at": self.received_at.isoformat(),
            "category": self.category,
        }
        if not self.confidential:
            view["title"] = self.title
            view["text"] = self.text
        if not self.anonymous and self.reporter.name:
            view["reporter_name"] = self.reporter.name
        return view
