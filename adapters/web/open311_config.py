"""Config of the Open311 GeoReport v2 endpoint (``[adapters.open311]``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from gateway.settings_base import Settings


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


class Open311Config(Settings):
    enabled: bool = False
    api_keys: list[SecretStr] = Field(default_factory=list)
    jurisdiction_id: str = "lapor.go.id"
    services: list[Open311Service] = Field(default_factory=list)
    #: GET requests/tokens lookups per client address and minute (IDs must not be guessable)
    lookup_rate_per_min: int = Field(default=60, ge=1)
    #: most IDs in one GET requests.{format}?service_request_id=a,b,...
    max_ids_per_lookup: int = Field(default=50, ge=1, le=1000)
