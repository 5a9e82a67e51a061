"""Config of the mobile app intake (``[adapters.mobile]``)."""

from __future__ import annotations

from pydantic import SecretStr

from gateway.settings_base import Settings


class MobileConfig(Settings):
    enabled: bool = True
    secret: SecretStr = SecretStr("")
    require_signature: bool = True
    max_skew_s: int = 300
    #: per uploaded photo
    max_upload_bytes: int = 5 * 1024 * 1024
    max_uploads: int = 5
