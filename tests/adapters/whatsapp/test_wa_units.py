"""Pure parts of the WhatsApp door as tables (non-complaints, webhook items, config errors),
and the processor against the real pipeline on SQLite with a call recorder in between."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fake_graph import FakeGraph
from pydantic import ValidationError
from wa_harness import CITIZEN, NUMBER, envelope, text_msg

from adapters.whatsapp.classify import non_complaint
from adapters.whatsapp.config import WhatsAppConfig
from adapters.whatsapp.graph import GraphClient
from adapters.whatsapp.inbound import Processor, phone_of
from adapters.whatsapp.payload import parse
from gateway.config import ConfigError, parse_config
from gateway.pipeline import Pipeline


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [
        pytest.param("text", "halo", "greeting", id="halo"),
        pytest.param("text", "Selamat siang, Pak!", "greeting", id="selamat-siang"),
        pytest.param("text", "Assalamu'alaikum wr wb", "greeting", id="salam-apostrophe"),
        pytest.param("text", "P", "greeting", id="p"),
        pytest.param("text", "tes", "test", id="tes"),
        pytest.param("text", "TEST 1 2 3", "test", id="test-digits"),
        pytest.param("text", "coba", "test", id="coba"),
        pytest.param("text", "🙏🙏", "emoji", id="emoji"),
        pytest.param("text", "?!", "emoji", id="punctuation"),
        pytest.param("sticker", None, "sticker", id="sticker"),
        pytest.param("reaction", None, "reaction", id="reaction"),
        pytest.param("audio", None, "unsupported", id="audio"),
        pytest.param("unsupported", None, "unsupported", id="unsupported"),
        pytest.param("text", "halo, jalan rusak di depan rumah", None, id="greeting+complaint"),
        pytest.param("text", "tes darah di puskesmas antre 5 jam", None, id="tes-as-a-word"),
        pytest.param("text", "CEK 1234-5678-9012", None, id="status-query"),
        pytest.param("text", "12345678", None, id="digits-only"),
        pytest.param("image", None, None, id="bare-photo"),
        pytest.param("location", None, None, id="location"),
    ],
)
def test_non_complaint(kind: str, text: str | None, reason: str | None) -> None:
    assert non_complaint(kind, text) == reason


@pytest.mark.parametrize(
    ("wa_id", "e164"),
    [
        pytest.param("6281234567890", "+6281234567890", id="indonesia"),
        pytest.param("16505551234", "+16505551234", id="us"),
        pytest.param("123", None, id="impossible"),
    ],
)
def test_wa_id_to_e164(wa_id: str, e164: str | None) -> None:
    assert phone_of(wa_id) == e164


def test_parse_skips_what_is_not_ours_or_malformed() -> None:
    doc = envelope([text_msg("wamid.A", "x"), {"id": "wamid.B", "from": "62", "type": 3}])
    doc["entry"][0]["changes"].append({"field": "account_update", "value": {}})
    got = parse(doc, frozenset({NUMBER}))
    assert [m.wamid for m in got.messages] == ["wamid.A"]
    assert got.messages[0].profile_name == "Budi Santoso"
    assert got.skipped == ["message without type", "change field account_update"]
    assert parse(doc, frozenset({"1"})).messages == []


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        pytest.param({"enabled": True}, "adapters.whatsapp", id="missing-secrets"),
        pytest.param({"api_version": "21"}, "adapters.whatsapp.api_version", id="version"),
        pytest.param({"phone_number_ids": ["abc"]}, "adapters.whatsapp.phone_number_ids", id="ids"),
        pytest.param(
            {"api_base_url": "graph.facebook.com"}, "adapters.whatsapp.api_base_url", id="base-url"
        ),
        pytest.param(
            {"templates": {"status_update": {"name": "t", "params": ["phone"]}}},
            "adapters.whatsapp.templates.status_update.params",
            id="template-param",
        ),
        pytest.param({"tempaltes": {}}, "adapters.whatsapp.tempaltes", id="unknown-key"),
    ],
)
def test_config_errors_name_the_key(section: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"adapters": {"whatsapp": section}}, env={})
    assert problem in str(err.value)


def test_access_token_comes_from_the_environment() -> None:
    section = {
        "enabled": True,
        "app_secret": "${S}",
        "verify_token": "v",
        "access_token": "${WA_TOKEN}",
        "phone_number_ids": ["1"],
    }
    with pytest.raises(ConfigError) as err:
        parse_config({"adapters": {"whatsapp": section}}, env={"S": "s"})
    assert "adapters.whatsapp.access_token: environment variable WA_TOKEN" in str(err.value)
    config = parse_config({"adapters": {"whatsapp": section}}, env={"S": "s", "WA_TOKEN": "t"})
    assert config.adapters.whatsapp.access_token.get_secret_value() == "t"
    with pytest.raises(ValidationError):
        WhatsAppConfig.model_validate({"enabled": True})


class Recorder:
    """The real pipeline, with every call it gets written down in order."""

    def __init__(self, inner: Pipeline) -> None:
        self.inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, {"args": args, **kwargs}))
            return await target(*args, **kwargs)

        return call


async def test_the_window_commits_with_the_report_not_after(
    pipeline: Pipeline, tmp_path: Path, graph: FakeGraph
) -> None:
    """The ack may leave as soon as the report commits; the window checkpoint must already
    be there, or a citizen's first ack would wrongly go as a template."""
    config = WhatsAppConfig(phone_number_ids=[NUMBER], api_base_url=graph.base_url)
    recorder = Recorder(pipeline)
    processor = Processor(recorder, config, GraphClient(config), tmp_path)  # type: ignore[arg-type]
    at = int(time.time())
    doc = envelope([text_msg("wamid.W", "Jalan di desa kami rusak parah sejak lama", at=at)])
    (message,) = parse(doc, frozenset({NUMBER})).messages
    assert await processor.handle(message) == "report"
    submit = next(kwargs for name, kwargs in recorder.calls if name == "submit")
    assert submit["checkpoint"] == (f"whatsapp:window:+{CITIZEN}", repr(float(at)))
    writes = [name for name, _ in recorder.calls if name != "get_checkpoint"]
    assert writes[0] == "submit"


async def test_the_window_commits_before_an_answer(
    pipeline: Pipeline, tmp_path: Path, graph: FakeGraph
) -> None:
    config = WhatsAppConfig(phone_number_ids=[NUMBER], api_base_url=graph.base_url)
    recorder = Recorder(pipeline)
    processor = Processor(recorder, config, GraphClient(config), tmp_path)  # type: ignore[arg-type]
    (message,) = parse(envelope([text_msg("wamid.H", "halo")]), frozenset({NUMBER})).messages
    assert await processor.handle(message) == "non_complaint"
    writes = [name for name, _ in recorder.calls if name != "get_checkpoint"]
    assert writes == ["set_checkpoint", "answer"]
