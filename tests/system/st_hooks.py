"""Schemathesis hooks (loaded by ``SCHEMATHESIS_HOOKS=tests.system.st_hooks``): sign the
generated requests to the signed doors so the fuzzer gets past the 401 and reaches the
parsers, the pipeline and the store. One request in five (chosen by a hash of its body,
so a run is repeatable and the documented examples are always signed) stays as generated,
so the signature check itself is fuzzed too.

The secrets come from the environment the test sets (``ST_WEB_SECRET`` and friends).
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

import requests
import schemathesis

from adapters import signing

_SECRETS = {
    "/v1/web/reports": "ST_WEB_SECRET",
    "/v1/mobile/reports": "ST_MOBILE_SECRET",
    "/v1/core/events": "ST_CORE_SECRET",
}


class _Sign(requests.auth.AuthBase):
    """Signs the exact bytes requests is about to send."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        r.headers.update(signing.signed_headers(self.secret, body))
        return r


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    env = _SECRETS.get(case.operation.path)
    if env and os.environ.get(env) and not _left_unsigned(case):
        kwargs["auth"] = _Sign(os.environ[env].encode())


def _left_unsigned(case: Any) -> bool:
    body = case.body
    raw = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True, default=str)
    return zlib.crc32(raw.encode() if isinstance(raw, str) else raw) % 5 == 0
