"""The mobile door's paths in ``/openapi.json``, declared on its registry row."""

from __future__ import annotations

from typing import Any

from adapters.json_intake import OPENAPI_INTAKE_HEADERS
from adapters.mobile.adapter import REPORT_PART, MobileReportBody
from adapters.mobile.config import MobileConfig


def openapi_paths(config: MobileConfig) -> dict[str, Any]:
    """``POST /v1/mobile/reports`` for ``/openapi.json`` (JSON and multipart bodies)."""
    # the model's own schema: an allOf of ReportBody (additionalProperties false) and the
    # device fields would be unsatisfiable (found by schemathesis); nested models are
    # referenced from the components the gateway publishes for ReportBody
    mobile_body = MobileReportBody.model_json_schema(ref_template="#/components/schemas/{model}")
    mobile_body.pop("$defs", None)
    error = {"description": "Error {error: {code, message, field?}}"}
    return {
        "/v1/mobile/reports": {
            "post": {
                "summary": "File a report from the mobile app (optionally with photos)",
                "parameters": OPENAPI_INTAKE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": mobile_body,
                            "example": {
                                "text": "Lampu jalan mati di Gg. Mawar RT 05 RW 03 sejak Senin",
                                "device_id": "android-7f3a",
                                "app_version": "4.2.0",
                            },
                        },
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": [REPORT_PART],
                                "properties": {
                                    REPORT_PART: mobile_body,
                                    "photo": {
                                        "type": "array",
                                        "maxItems": config.max_uploads,
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                },
                            },
                            "encoding": {REPORT_PART: {"contentType": "application/json"}},
                        },
                    },
                },
                "responses": {
                    "201": {
                        "description": "New report {tracking_id, status, duplicate_of}; "
                        "a verbatim replay of the same signed request without "
                        "Idempotency-Key gets this same answer, no new report"
                    },
                    "200": {"description": "Repeat of the same Idempotency-Key and body"},
                    "400": error,
                    "401": error,
                    "409": error,
                    "413": error,
                    "415": {
                        "description": "Error {error: {code, message}}: Content-Type is "
                        "neither JSON (application/json, UTF-8) nor multipart/form-data, "
                        "or a photo is not a JPEG, PNG, WebP or HEIC image"
                    },
                    "422": error,
                    "503": error,
                },
            }
        }
    }
