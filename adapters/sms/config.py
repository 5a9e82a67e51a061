"""Config of the SMS channel (``[adapters.sms]`` and its transports)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

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
    """One GSM modem driven by libgammu (one worker thread per modem).

    ``model``/``connection``/``device`` are libgammu's own settings: a real USB modem is
    typically ``model = ""`` (auto), ``connection = "at115200"``, ``device = "/dev/ttyUSB0"``;
    libgammu's simulated phone is ``model = "dummy"``, ``connection = "none"`` and
    ``device`` a folder. A relative ``device`` path is resolved against ``[gateway] data_dir``.
    """

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    model: str = ""
    connection: str = "at"
    device: str = Field(min_length=1)
    pin: SecretStr | None = None
    smsc_number: str | None = None
    #: SMS parts (PDUs) per second sent through this modem
    rate: float = Field(default=1.0, gt=0)
    #: seconds one libgammu call may take before the modem counts as hung
    command_timeout_s: float = Field(default=30.0, gt=0)

    @property
    def is_dummy(self) -> bool:
        """libgammu's simulated phone: a folder instead of a serial device."""
        return self.model.strip().lower() == "dummy"


class GammuConfig(Settings):
    enabled: bool = False
    modems: list[ModemConfig] = Field(default_factory=list)
    poll_interval_s: float = Field(default=5.0, gt=0)
    #: an incomplete multipart message becomes a report (missing parts marked) after this
    multipart_timeout_s: float = Field(default=300.0, gt=0)
    #: reconnect backoff after a modem error: doubles from min to max, never gives up
    reconnect_min_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=60.0, gt=0)
    #: how often (in polls) signal strength and network registration are refreshed
    signal_every_polls: int = Field(default=6, ge=1)

    @model_validator(mode="after")
    def _unique_names(self) -> GammuConfig:
        names = [m.name for m in self.modems]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"modem names must be unique: {', '.join(dupes)}")
        if self.enabled and not self.modems:
            raise ValueError("enabled without any [[adapters.sms.gammu.modems]]")
        return self


class SmsConfig(Settings):
    """Settings shared by every SMS transport (the conversation layer)."""

    short_code: str = "1708"
    #: leading words that set a region, e.g. {"PAPUA" = "Papua"}
    regional_prefixes: dict[str, str] = Field(default_factory=dict)
    #: texts shorter than this (after keywords) get the help text instead of a report
    min_report_chars: int = 10
    smpp: SmppConfig = Field(default_factory=SmppConfig)
    gammu: GammuConfig = Field(default_factory=GammuConfig)
