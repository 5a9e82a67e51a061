"""Structured logs: personal data masked, identifiers kept, junk HTTP reduced to one line."""

from __future__ import annotations

import json
import logging

from aiohttp.http_exceptions import BadHttpMessage

from gateway.logs import JsonFormatter, _bad_http_one_line


def _format(record: logging.LogRecord) -> dict[str, object]:
    return json.loads(JsonFormatter().format(record))


def test_phone_and_email_in_messages_are_masked_but_tracking_ids_kept() -> None:
    record = logging.makeLogRecord(
        {
            "msg": "from 081234567890 and budi@example.id",
            "levelname": "INFO",
            "tracking_id": "123456789012",
        }
    )
    line = _format(record)
    assert "081234567890" not in json.dumps(line) and "budi@example.id" not in json.dumps(line)
    assert line["tracking_id"] == "123456789012"


def test_malformed_http_is_one_warning_line_without_traceback() -> None:
    try:
        raise BadHttpMessage("Missing 'Host' header in request.")
    except BadHttpMessage:
        import sys

        record = logging.LogRecord(
            "aiohttp.server",
            logging.ERROR,
            __file__,
            1,
            "Error handling request",
            (),
            sys.exc_info(),
        )
    assert _bad_http_one_line(record)
    line = _format(record)
    assert line["level"] == "WARNING" and "exc" not in line
    assert "BadHttpMessage" in str(line["msg"])


def test_tracking_ids_and_status_codes_kept_in_messages_and_fields_alike() -> None:
    from normalizer.tracking import new_tracking_id

    tid = new_tracking_id()
    record = logging.makeLogRecord(
        {
            "msg": "sms report %s from %s: submit_sm failed with status 0x00000058",
            "args": (tid, "081234567890"),
            "levelname": "INFO",
            "tracking_id": tid,
            "reason": f"duplicate of {tid} from +6281234567890",
        }
    )
    line = _format(record)
    assert line["msg"] == (
        f"sms report {tid} from 08******7890: submit_sm failed with status 0x00000058"
    )
    assert line["tracking_id"] == tid
    assert line["reason"] == f"duplicate of {tid} from +62*******7890"
