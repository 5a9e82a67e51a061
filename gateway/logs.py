"""Structured JSON logs with personal data masked.

Every record becomes one JSON line. Fields passed with ``extra=`` are included; the message
and string fields go through :func:`normalizer.privacy.scrub` as a last line of defence, so
a phone number or e-mail that slipped into a message is still masked. Code must still never
log report text of confidential reports, nor secrets.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from normalizer.privacy import scrub

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
#: structured fields that are identifiers, not personal data, and are never scrubbed (the
#: scrubber keeps tracking IDs anyway; an outbox target or adapter name is ours, not a citizen's)
SAFE_FIELDS = frozenset(
    {"tracking_id", "duplicate_of", "original", "outbox_id", "adapter", "target"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if isinstance(value, str) and key not in SAFE_FIELDS:
                value = scrub(value)
            entry[key] = value
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _bad_http_one_line(record: logging.LogRecord) -> bool:
    """aiohttp logs a full traceback at ERROR for every malformed request a junk client
    sends; keep one WARNING line with the reason instead, so junk cannot flood the logs."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None and type(exc).__name__ in {
        "BadHttpMessage",
        "BadStatusLine",
        "LineTooLong",
        "InvalidHeader",
        "BadHttpMethod",
        "HttpProcessingError",
    }:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = "malformed HTTP request rejected: %s", (type(exc).__name__,)
        record.exc_info = None
        record.exc_text = None
    return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.server").addFilter(_bad_http_one_line)
    for noisy in ("aiohttp.access", "tweepy", "smpplib", "smpplib.client"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
