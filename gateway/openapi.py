"""``GET /openapi.json``: the HTTP contract, generated from the same pydantic models that
validate requests, so the document cannot drift from the code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic.json_schema import models_json_schema

from adapters.json_intake import OPENAPI_INTAKE_HEADERS, ReportBody
from gateway.status_api import CoreEventBody

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}
_INTAKE_RESULT = {
    "type": "object",
    "required": ["tracking_id", "status", "duplicate_of"],
    "properties": {
        "tracking_id": {"type": "string"},
        "status": {"type": "string"},
        "duplicate_of": {"type": ["string", "null"]},
    },
}
_SIGNED = [
    {"name": "X-Lapor-Timestamp", "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": "X-Lapor-Signature", "in": "header", "required": True, "schema": {"type": "string"}},
]


#: a verbatim replay (same timestamp, signature and body) is the same request, answered alike
_NEW_REPORT = (
    "New report; a verbatim replay of the same signed request (same X-Lapor-Timestamp and "
    "X-Lapor-Signature) without Idempotency-Key gets this same answer again, no new report"
)
_REPEAT = "Repeat of an earlier request with the same Idempotency-Key and body"
#: the 415 of every JSON endpoint (adapters.http.require_json_type)
_NOT_JSON = (
    "Content-Type is not JSON: send application/json (or application/*+json), UTF-8; "
    "a request without Content-Type is read as JSON"
)


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


#: a valid body, shown in the document (and sent first by API fuzzers' example phase)
REPORT_EXAMPLE: dict[str, Any] = {
    "text": "Jalan berlubang di depan SDN 3 Cibeunying, sudah dua bulan belum diperbaiki",
    "category": "infrastruktur",
    "location": {"lat": -6.9034, "lon": 107.6431, "address": "Jl. Cikutra, Bandung"},
    "reporter": {"name": "Siti", "phone": "081234567890"},
    "anonymous": False,
    "confidential": False,
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _intake_op(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": OPENAPI_INTAKE_HEADERS,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ReportBody"},
                        "example": REPORT_EXAMPLE,
                    }
                },
            },
            "responses": {
                "201": _json(_INTAKE_RESULT, _NEW_REPORT),
                "200": _json(_INTAKE_RESULT, _REPEAT),
                "400": _err("Not JSON"),
                "401": _err("Missing, bad or stale signature"),
                "409": _err("Idempotency-Key reused with another body"),
                "413": _err("Body too large"),
                "415": _err(_NOT_JSON),
                "422": _err("Invalid field"),
                "503": _err("Store unavailable or overloaded"),
            },
        }
    }


def _schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(ReportBody, "validation"), (CoreEventBody, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def web_paths(_section: object) -> dict[str, Any]:
    """``POST /v1/web/reports``: the web door's hook on its registry row."""
    return {"/v1/web/reports": _intake_op("File a report from the web form")}


def openapi_document(door_paths: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the gateway's own endpoints and of the running doors'
    *door_paths* (each door's registry hook, :func:`gateway.registry.openapi_paths`)."""
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {"summary": "Process is up", "responses": {"200": {"description": "OK"}}}
        },
        "/readyz": {
            "get": {
                "summary": "Store, relay and enabled transports usable",
                "responses": {"200": {"description": "Ready"}, "503": {"description": "Not ready"}},
            }
        },
        "/metrics": {
            "get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}
        },
        "/v1/reports/{tracking_id}": {
            "get": {
                "summary": "Public status of a report (no identity, no text)",
                "parameters": [
                    {
                        "name": "tracking_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {"description": "Status and history"},
                    "400": _err("Malformed tracking ID or wrong check digit"),
                    "404": _err("Unknown tracking ID"),
                    "429": _err("Rate limited"),
                },
            }
        },
        "/v1/core/events": {
            "post": {
                "summary": "Status update from the core case store (signed)",
                "parameters": _SIGNED,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CoreEventBody"}
                        }
                    },
                },
                "responses": {
                    "200": {"description": "Recorded"},
                    "401": _err("Bad signature"),
                    "404": _err("Unknown tracking ID"),
                    "415": _err(_NOT_JSON),
                    "422": _err("Invalid field"),
                },
            }
        },
    }
    paths.update(door_paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lapor-gateway",
            "version": "0.1.0",
            "description": "Multichannel ingestion gateway for public-service complaints",
        },
        "paths": paths,
        "components": {"schemas": _schemas()},
    }
