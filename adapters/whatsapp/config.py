"""Config of the WhatsApp Business Cloud API door (``[adapters.whatsapp]``).

``app_secret`` is the key of the webhook's ``X-Hub-Signature-256``; ``verify_token`` is the
string Meta echoes on the webhook's GET verification; ``access_token`` (a system-user token,
give it as ``${ENV}``) authorizes sends and media downloads. ``phone_number_ids`` are the
business numbers this gateway answers for: webhook changes for any other number are skipped.

``templates`` maps an outbound message kind (``status_update``; ``default`` for any kind
without its own entry) to an approved message template, used when the citizen's 24-hour
customer service window is closed or WhatsApp refuses a free-form message with 131047.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.api_settings import ApiBaseUrl
from gateway.settings_base import Settings

#: placeholders a template parameter may name (filled from the outbound message)
TEMPLATE_PARAMS = frozenset({"tracking_id", "status", "note", "agency"})


class TemplateSpec(Settings):
    """One approved WhatsApp message template."""

    name: str = Field(min_length=1, max_length=512)
    #: template language code as approved in WhatsApp Manager (Bahasa Indonesia: ``id``)
    language: str = "id"
    #: the body's ``{{1}}``, ``{{2}}``... in order, each one of :data:`TEMPLATE_PARAMS`
    params: list[str] = Field(default_factory=lambda: ["tracking_id", "status"])

    @field_validator("params")
    @classmethod
    def _params(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in TEMPLATE_PARAMS]
        if unknown:
            raise ValueError(
                f"unknown parameter {unknown[0]!r}; use {', '.join(sorted(TEMPLATE_PARAMS))}"
            )
        return value


class WhatsAppConfig(Settings):
    enabled: bool = False
    app_secret: SecretStr = SecretStr("")
    verify_token: SecretStr = SecretStr("")
    access_token: SecretStr = SecretStr("")
    phone_number_ids: list[str] = Field(default_factory=list)
    #: default the real Graph API; tests point it at a local fake
    api_base_url: ApiBaseUrl = "https://graph.facebook.com"
    api_version: str = "v21.0"
    templates: dict[str, TemplateSpec] = Field(default_factory=dict)
    #: the customer service window is 24 h; stop free-form sends this much earlier
    window_margin_s: float = Field(default=600.0, ge=0, le=3600)
    #: a location shared this long before a complaint becomes its location; one shared this
    #: long after a complaint is attached to it as a follow-up
    location_attach_s: float = Field(default=1800.0, ge=0)
    #: the ``[acks.templates]`` entry answered to help requests and non-complaints (``help``
    #: when the operator removed it)
    help_template: str = "help_whatsapp"
    #: shorter texts (after keywords) get the help text, like SMS
    min_report_chars: int = Field(default=10, ge=1)
    #: per downloaded image or document (the mobile app's photo limit)
    max_media_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    request_timeout_s: float = Field(default=20.0, gt=0)
    #: back-off after a rate-limit error (130429, 131056) without its own delay
    backoff_floor_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+", value.strip()):
            raise ValueError("must look like v21.0")
        return value.strip()

    @field_validator("phone_number_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        ids = [v.strip() for v in value]
        bad = [v for v in ids if not v.isdigit()]
        if bad:
            raise ValueError("phone number ids are the numeric ids from WhatsApp Manager")
        return ids

    @model_validator(mode="after")
    def _credentials(self) -> WhatsAppConfig:
        if not self.enabled:
            return self
        missing = [
            name
            for name in ("app_secret", "verify_token", "access_token")
            if not getattr(self, name).get_secret_value()
        ]
        if not self.phone_number_ids:
            missing.append("phone_number_ids")
        if missing:
            raise ValueError("enabled but missing " + ", ".join(missing))
        return self

    def template_for(self, kind: str) -> TemplateSpec | None:
        """The template that carries a message of *kind* outside the window, if any."""
        return self.templates.get(kind) or self.templates.get("default")

    @property
    def window_s(self) -> float:
        """Seconds after the citizen's last message during which free-form text may go."""
        return 86_400.0 - self.window_margin_s
