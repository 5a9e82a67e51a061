"""Config of the SMS channel (``[adapters.sms]`` and its transports)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from gateway.settings_base import Settings


class SmppBindConfig(Settings):
    """One bind_transceiver to one SMSC."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    host: str
    port: int = Field(default=2775, ge=1, le=65535)
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
    tps: float = Field(default=10.0, gt=0)
    window: int = Field(default=10, ge=1)
    #: what data_coding 0 means on this SMSC: "gsm0338" (the standard) or "latin1"
    data_coding_0: Literal["gsm0338", "latin1"] = "gsm0338"
    #: how replies address the citizen: international number without '+'
    dest_addr_ton: int = 1
    dest_addr_npi: int = 1
    #: ask the SMSC for delivery receipts of our acks
    registered_delivery: bool = True
    #: deliver_sm being stored at once on this bind; beyond it we stop reading (TCP
    #: back-pressure) instead of buffering
    max_inflight: int = Field(default=256, ge=1)
    #: reconnect backoff: exponential with jitter from initial to max; after
    #: reconnect_attempts failures in a row the bind reports unhealthy and keeps trying at max
    reconnect_initial_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=60.0, gt=0)
    reconnect_attempts: int = Field(default=10, ge=1)


class SmppConfig(Settings):
    enabled: bool = False
    binds: list[SmppBindConfig] = Field(default_factory=list)
    #: a partial multipart message becomes a report after this many seconds
    multipart_timeout_s: float = Field(default=300.0, gt=0)
    #: how often incomplete multipart groups are checked
    sweep_interval_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _binds(self) -> SmppConfig:
        names = [b.name for b in self.binds]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"bind names must be unique: {', '.join(dupes)}")
        if self.enabled and not self.binds:
            raise ValueError("enabled without any [[adapters.sms.smpp.binds]]")
        return self


class ModemConfig(Settings):
    """One GSM modem driven by libgammu (one worker thread per modem).

    ``model``/``connection``/``device`` are libgammu's own settings: a real USB modem is
    typically ``model = ""`` (auto), ``connection = "at115200"``, ``device = "/dev/ttyUSB0"``;
    libgammu's simulated phone is ``model = "dummy"``, ``connection = "none"`` and
    ``device`` a folder. A relative dummy folder is resolved against the config file's folder
    (like every path in config.toml); built without a file (tests), against ``data_dir``.
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
    #: ask the network for status reports of our acks (they update the ack's delivery state)
    delivery_reports: bool = True

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
