"""Config of the signed web intake (``[adapters.web]``)."""

from __future__ import annotations

from pydantic import SecretStr

from gateway.settings_base import Settings


class WebConfig(Settings):
    enabled: bool = True
    #: HMAC-SHA256 secret shared with the web form backend
    secret: SecretStr = SecretStr("")
    #: signatures may be switched off for a lab setup only; the gateway warns loudly at start
    require_signature: bool = True
    #: accepted clock skew of X-Lapor-Timestamp, seconds
    max_skew_s: int = 300
