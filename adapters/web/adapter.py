"""The web form door: ``POST /v1/web/reports`` (signed JSON).

The request is verified (HMAC over timestamp and raw body), validated, committed, and only
then answered. Acks and status updates go to the optional ``callback_url`` as signed POSTs
through the outbox.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from adapters import json_intake
from adapters.callbacks import SignedWebhookAdapter
from adapters.http import (
    check_signature,
    parse_json_object,
    read_body,
    require_json_type,
    validation_error,
)
from adapters.web.config import WebConfig
from gateway.adapter import AdapterContext, Route
from normalizer import Channel


class WebAdapter(SignedWebhookAdapter):
    name = "web"

    def __init__(self, ctx: AdapterContext, config: WebConfig) -> None:
        super().__init__(ctx, config)
        self.config = config

    def routes(self) -> list[Route]:
        return [Route("POST", "/v1/web/reports", self.handle_report, "web_reports")]

    async def handle_report(self, request: web.Request) -> web.Response:
        raw = await read_body(request, self.ctx.max_body_bytes)
        signature = check_signature(
            request,
            raw,
            self._secret,
            required=self.config.require_signature,
            max_skew_s=self.config.max_skew_s,
        )
        require_json_type(request)
        data = parse_json_object(raw)
        try:
            body = json_intake.ReportBody.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        report = json_intake.build_report(body, channel=Channel.WEB, adapter=self.name, raw=data)
        return await json_intake.file(self.ctx, request, report, raw, signature=signature)
