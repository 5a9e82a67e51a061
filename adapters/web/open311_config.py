"""Config of the Open311 GeoReport v2 endpoint (``[adapters.open311]``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from gateway.settings_base import Settings


class Open311Attribute(Settings):
    code: str
    datatype: str = "string"
    description: str = ""
    required: bool = False
    order: int = 1
    variable: bool = True
    values: list[dict[str, str]] = Field(default_factory=list)


class Open311Service(Settings):
    service_code: str
    service_name: str
    description: str = ""
    group: str = ""
    keywords: str = ""
    type: str = "realtime"
    attributes: list[Open311Attribute] = Field(default_factory=list)


class Open311Config(Settings):
    enabled: bool = False
    api_keys: list[SecretStr] = Field(default_factory=list)
    jurisdiction_id: str = "lapor.go.id"
    services: list[Open311Service] = Field(default_factory=list)
