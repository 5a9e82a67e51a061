"""Config of the Open311 GeoReport v2 endpoint (``[adapters.open311]``).

Validated so that a client never sees a broken service definition: unique service codes,
unique attribute codes (``anonymous`` and ``confidential`` are ours, offered on every
service), and list attributes with ``{key, name}`` values.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from gateway.settings_base import Settings

#: attribute codes every service accepts (the report's flags)
RESERVED_ATTRIBUTES = ("anonymous", "confidential")


class Open311Attribute(Settings):
    code: str
    datatype: Literal[
        "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
    ] = "string"
    description: str = ""
    datatype_description: str = ""
    required: bool = False
    order: int = 1
    variable: bool = True
    values: list[dict[str, str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _values(self) -> Open311Attribute:
        if self.code in RESERVED_ATTRIBUTES:
            raise ValueError(f"attribute code {self.code!r} is reserved (offered on every service)")
        if self.datatype in ("singlevaluelist", "multivaluelist") and not self.values:
            raise ValueError(f"attribute {self.code!r}: a {self.datatype} needs values")
        for value in self.values:
            if set(value) != {"key", "name"}:
                raise ValueError(f"attribute {self.code!r}: each value is {{key, name}}")
        return self


class Open311Service(Settings):
    service_code: str
    service_name: str
    description: str = ""
    group: str = ""
    keywords: str = ""
    #: realtime: the POST answers service_request_id; batch: a token (GET tokens/{token});
    #: blackbox: neither (the citizen still gets nothing wrong: the report is filed)
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    attributes: list[Open311Attribute] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Open311Service:
        codes = [a.code for a in self.attributes]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"service {self.service_code!r}: duplicate attribute {dupes[0]!r}")
        return self


class Open311Config(Settings):
    enabled: bool = False
    api_keys: list[SecretStr] = Field(default_factory=list)
    jurisdiction_id: str = "lapor.go.id"
    services: list[Open311Service] = Field(default_factory=list)
    #: GET requests/tokens lookups per client address and minute (IDs must not be guessable)
    lookup_rate_per_min: int = Field(default=60, ge=1)
    #: most IDs in one GET requests.{format}?service_request_id=a,b,...
    max_ids_per_lookup: int = Field(default=50, ge=1, le=1000)

    @model_validator(mode="after")
    def _services(self) -> Open311Config:
        codes = [s.service_code for s in self.services]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"service codes must be unique: {', '.join(dupes)}")
        if self.enabled and not self.services:
            raise ValueError("enabled without any [[adapters.open311.services]]")
        return self
