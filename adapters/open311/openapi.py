"""The GeoReport v2 paths in ``/openapi.json``, declared on the open311 registry row."""

from __future__ import annotations

from typing import Any

from adapters.open311.adapter import PREFIX
from adapters.open311.config import Open311Config


def openapi_paths(config: Open311Config) -> dict[str, Any]:
    """The GeoReport v2 paths for ``/openapi.json`` (bodies as in the published spec)."""
    fmt = {
        "name": "format",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["json", "xml"]},
    }
    errors = {"description": 'Spec errors: [{"code", "description"}] / <errors><error>'}

    def op(summary: str, *params: str, **responses: Any) -> dict[str, Any]:
        path_params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ]
        return {
            "summary": summary,
            "tags": ["Open311 GeoReport v2"],
            "parameters": [fmt, *path_params],
            "responses": {"200": {"description": "OK"}, **responses},
        }

    return {
        f"{PREFIX}/services.{{format}}": {"get": op("Service list")},
        f"{PREFIX}/services/{{service_code}}.{{format}}": {
            "get": op("Service definition", "service_code", **{"404": errors})
        },
        f"{PREFIX}/requests.{{format}}": {
            "post": {
                **op(
                    "Create a service request (api_key required)",
                    **{"201": {"description": "Created"}, "400": errors, "403": errors},
                    **{"404": errors},
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    },
                },
            },
            "get": op("Service requests by service_request_id=a,b", **{"400": errors}),
        },
        f"{PREFIX}/requests/{{service_request_id}}.{{format}}": {
            "get": op("One service request", "service_request_id", **{"404": errors})
        },
        f"{PREFIX}/tokens/{{token}}.{{format}}": {
            "get": op("service_request_id from a token", "token", **{"404": errors})
        },
    }
