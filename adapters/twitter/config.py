"""Config of the X (Twitter) adapter (``[adapters.twitter]``)."""

from __future__ import annotations

from pydantic import SecretStr

from gateway.settings_base import Settings


class TwitterConfig(Settings):
    enabled: bool = False
    #: default the real API; point it at any compatible server (tests use a local one)
    api_base_url: str = "https://api.x.com"
    user_id: str = ""
    screen_name: str = "lapor1708"
    consumer_key: SecretStr = SecretStr("")
    consumer_secret: SecretStr = SecretStr("")
    access_token: SecretStr = SecretStr("")
    access_token_secret: SecretStr = SecretStr("")
    bearer_token: SecretStr = SecretStr("")
    poll_interval_s: float = 60.0
    idle_poll_interval_s: float = 300.0
    require_hashtag: bool = False
    hashtag: str = "lapor"
    #: replies per minute
    reply_rate_per_min: float = 30.0
    #: first start with no cursor reads mentions from this ISO time on (empty: now)
    start_time: str = ""
    #: always invite the citizen to continue by DM
    always_invite_dm: bool = False
