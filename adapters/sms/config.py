"""Config of the SMS channel (``[adapters.sms]`` and its transports)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from gateway.settings_base import Settings


class SmppBindConfig(Settings):
    """One bind_transceiver to one SMSC."""

    name: str
    host: str
    port: int = 2775
    system_id: str
    password: SecretStr = SecretStr("")
    system_type: str = ""
    address_range: str = ""
    addr_ton: int = 0
    addr_npi: int = 0
    source_addr: str = "1708"
    source_addr_ton: int = 3
    source_addr_npi: int = 0
    enquire_link_s: float = 30.0
    response_timeout_s: float = 10.0
    tps: float = 10.0
    window: int = 10
    #: what data_coding 0 means on this SMSC: "gsm0338" (the standard) or "latin1"
    data_coding_0: str = "gsm0338"


class SmppConfig(Settings):
    enabled: bool = False
    binds: list[SmppBindConfig] = Field(default_factory=list)
    #: a partial multipart message becomes a report after this many seconds
    multipart_timeout_s: float = 300.0


class ModemConfig(Settings):
    """One GSM modem driven by libgammu."""

    name: str
    model: str = ""
    connection: str = "at"
    device: str
    pin: SecretStr | None = None
    smsc_number: str | None = None
    #: sends per second through this modem
    rate: float = 1.0


class GammuConfig(Settings):
    enabled: bool = False
    modems: list[ModemConfig] = Field(default_factory=list)
    poll_interval_s: float = 5.0
    multipart_timeout_s: float = 300.0


class SmsConfig(Settings):
    """Settings shared by every SMS transport (the conversation layer)."""

    short_code: str = "1708"
    #: leading words that set a region, e.g. {"PAPUA" = "Papua"}
    regional_prefixes: dict[str, str] = Field(default_factory=dict)
    #: texts shorter than this (after keywords) get the help text instead of a report
    min_report_chars: int = 10
    smpp: SmppConfig = Field(default_factory=SmppConfig)
    gammu: GammuConfig = Field(default_factory=GammuConfig)
