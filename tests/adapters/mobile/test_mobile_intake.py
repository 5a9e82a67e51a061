"""Mobile intake against the running gateway over HTTP: JSON and multipart bodies, photos
checked by magic bytes and stored by sha256, size limits, the signature over the raw
multipart bytes, and the signed callback."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters import signing, uploads
from adapters.mobile import multipart
from tests.conftest import MOBILE_SECRET, GatewayHarness

PATH = "/v1/mobile/reports"
GOOD: dict[str, Any] = {
    "text": "Lampu jalan mati di Jl. Kaliurang km 5",
    "reporter": {"phone": "081234567890"},
    "device_id": "android-7f3a",
    "app_version": "2.4.1",
}


def png_bytes(seed: int = 0) -> bytes:
    """A real 1x1 PNG (decodable), varied by *seed* so hashes differ."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32


def form(
    report: Any, files: Sequence[tuple[str, str | None, str, bytes]], boundary: str = "b0undary-XyZ"
) -> tuple[bytes, str]:
    """A multipart/form-data body: the JSON part ``report`` then (name, filename, type, data)."""
    out = bytearray()
    report_bytes = report if isinstance(report, bytes) else json.dumps(report).encode()
    parts = [("report", None, "application/json", report_bytes), *files]
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        out += f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


async def post_raw(
    h: GatewayHarness,
    body: bytes,
    content_type: str,
    *,
    sign_body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    signed = signing.signed_headers(
        MOBILE_SECRET.encode(), body if sign_body is None else sign_body
    )
    all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
    async with h.session.post(h.base + PATH, data=body, headers=all_headers) as resp:
        return resp.status, await resp.json(content_type=None)


MOBILE = {"enabled": True, "secret": MOBILE_SECRET, "max_upload_bytes": 4096, "max_uploads": 3}


@pytest.fixture
async def mobile(gateway_factory: Any, config_factory: Any) -> GatewayHarness:
    h: GatewayHarness = await gateway_factory(config_factory({"adapters": {"mobile": MOBILE}}))
    return h


def attachments_dir(h: GatewayHarness) -> Path:
    return h.gw.config.gateway.data_dir / "attachments"


def stored_files(h: GatewayHarness) -> list[str]:
    d = attachments_dir(h)
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


# -- happy paths ------------------------------------------------------------------------------


async def test_json_report(mobile: GatewayHarness) -> None:
    status, body = await mobile.post_signed(PATH, GOOD, secret=MOBILE_SECRET)
    assert status == 201, body
    found = await mobile.gw.store.get_report(body["tracking_id"])
    assert found is not None
    report = found[0]
    assert report.channel.value == "mobile" and report.reporter.device_id == "android-7f3a"
    assert report.raw["app_version"] == "2.4.1" and report.attachments == []


async def test_multipart_with_photos_stored_by_sha256(mobile: GatewayHarness) -> None:
    png = png_bytes(1)
    body, ctype = form(
        GOOD,
        [
            ("photo", "a.jpg", "image/jpeg", JPEG),
            ("photo", "b.png", "application/octet-stream", png),  # declared type is ignored
        ],
    )
    status, doc = await post_raw(mobile, body, ctype)
    assert status == 201, doc
    found = await mobile.gw.store.get_report(doc["tracking_id"])
    assert found is not None
    attachments = found[0].attachments
    expected = [(JPEG, "image/jpeg", "jpg"), (png, "image/png", "png")]
    assert len(attachments) == 2
    for attachment, (data, ctype_, ext) in zip(attachments, expected, strict=True):
        digest = hashlib.sha256(data).hexdigest()
        assert attachment.url == f"attachment://{digest}"
        assert (attachment.sha256, attachment.size, attachment.content_type) == (
            digest,
            len(data),
            ctype_,
        )
        assert (attachments_dir(mobile) / f"{digest}.{ext}").read_bytes() == data
    assert not [n for n in stored_files(mobile) if n.endswith(".tmp")]


async def test_same_photo_twice_is_one_file(mobile: GatewayHarness) -> None:
    files = [("photo", f"{i}.jpg", "image/jpeg", JPEG) for i in range(3)]
    body, ctype = form(GOOD, files)
    status, doc = await post_raw(mobile, body, ctype)
    assert status == 201, doc
    found = await mobile.gw.store.get_report(doc["tracking_id"])
    assert found is not None and len(found[0].attachments) == 3
    assert stored_files(mobile) == [f"{hashlib.sha256(JPEG).hexdigest()}.jpg"]


async def test_retry_with_new_boundary_is_a_repeat(mobile: GatewayHarness) -> None:
    key = {"Idempotency-Key": "phone-42"}
    files = [("photo", "a.jpg", "image/jpeg", JPEG)]
    b1, c1 = form(GOOD, files, boundary="first-boundary")
    b2, c2 = form(GOOD, files, boundary="second-boundary")
    s1, d1 = await post_raw(mobile, b1, c1, headers=key)
    s2, d2 = await post_raw(mobile, b2, c2, headers=key)
    assert (s1, s2) == (201, 200) and d1["tracking_id"] == d2["tracking_id"]
    b3, c3 = form(GOOD, [("photo", "a.png", "image/png", png_bytes(2))])
    s3, d3 = await post_raw(mobile, b3, c3, headers=key)
    assert s3 == 409 and d3["error"]["code"] == "idempotency_conflict"


@pytest.mark.parametrize("multipart_body", [False, True], ids=["json", "multipart"])
async def test_verbatim_replay_without_identity_is_one_report(
    mobile: GatewayHarness, multipart_body: bool
) -> None:
    """The README's example: no phone, no e-mail, no Idempotency-Key. The same signed bytes
    sent again (a retry after a lost answer) are the same request: same answer, one report."""
    report = {"text": "Lampu jalan mati", "device_id": "android-1", "app_version": "2.4.1"}
    if multipart_body:
        body, ctype = form(report, [("photo", "a.jpg", "image/jpeg", JPEG)])
    else:
        body, ctype = json.dumps(report).encode(), "application/json"
    headers = {"Content-Type": ctype, **signing.signed_headers(MOBILE_SECRET.encode(), body)}
    answers = []
    for _ in range(3):
        async with mobile.session.post(mobile.base + PATH, data=body, headers=headers) as resp:
            answers.append((resp.status, await resp.json()))
    assert answers[0][0] == 201 and answers == [answers[0]] * 3
    assert len(await mobile.gw.store.list_reports(None, 10)) == 1


async def test_callback_receives_signed_ack(gateway_factory: Any, config_factory: Any) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    got = asyncio.Event()

    async def callback(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        got.set()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/cb", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        h = await gateway_factory(config_factory({"adapters": {"mobile": MOBILE}}))
        doc = {**GOOD, "callback_url": f"http://127.0.0.1:{port}/cb"}
        body, ctype = form(doc, [("photo", "a.jpg", "image/jpeg", JPEG)])
        status, result = await post_raw(h, body, ctype)
        assert status == 201
        await asyncio.wait_for(got.wait(), 10)
        headers, raw = received[0]
        signing.verify(MOBILE_SECRET.encode(), headers, raw)
        ack = json.loads(raw)
        assert ack["tracking_id"] == result["tracking_id"] and ack["kind"] == "received"
        assert "diterima" in ack["message"]
    finally:
        await runner.cleanup()


# -- bad input --------------------------------------------------------------------------------

BIG = b"\xff\xd8\xff" + b"\x00" * 5000


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        pytest.param(
            [("photo", "x.jpg", "image/jpeg", b"GIF89a" + b"\x00" * 20)],
            415,
            "unsupported_media_type",
            id="gif-claiming-jpeg",
        ),
        pytest.param(
            [("photo", "ok.jpg", "image/jpeg", JPEG), ("doc", "x.pdf", "image/png", b"%PDF-1.4")],
            415,
            "unsupported_media_type",
            id="pdf-after-good-photo",
        ),
        pytest.param(
            [("photo", "e.jpg", "image/jpeg", b"")], 415, "unsupported_media_type", id="empty"
        ),
        pytest.param(
            [("note", None, "text/plain", b"hello")], 415, "unsupported_media_type", id="text-field"
        ),
        pytest.param([("photo", "big.jpg", "image/jpeg", BIG)], 413, "upload_too_large", id="big"),
        pytest.param(
            [("photo", f"{i}.jpg", "image/jpeg", JPEG) for i in range(4)],
            413,
            "too_many_uploads",
            id="too-many",
        ),
    ],
)
async def test_bad_uploads_store_nothing(
    mobile: GatewayHarness,
    files: Sequence[tuple[str, str | None, str, bytes]],
    status: int,
    code: str,
) -> None:
    body, ctype = form(GOOD, files)
    got_status, doc = await post_raw(mobile, body, ctype)
    assert (got_status, doc["error"]["code"]) == (status, code)
    assert await mobile.gw.store.list_reports(None, 10) == []
    assert stored_files(mobile) == []


async def test_bad_requests(mobile: GatewayHarness) -> None:
    files = [("photo", "a.jpg", "image/jpeg", JPEG)]
    body, ctype = form(GOOD, files)
    # the signature covers the raw multipart bytes: one flipped byte in a photo is a 401
    tampered = body.replace(b"JFIF", b"JFIG")
    assert (await post_raw(mobile, tampered, ctype, sign_body=body))[0] == 401
    # signing only the JSON part is not enough
    assert (await post_raw(mobile, body, ctype, sign_body=json.dumps(GOOD).encode()))[0] == 401
    cases: list[tuple[bytes, str, int, str]] = [
        (*form({k: v for k, v in GOOD.items() if k != "device_id"}, files), 422, "invalid_field"),
        (*form({**GOOD, "app_version": 2}, files), 422, "invalid_field"),
        (*form(b"{not json", files), 400, "bad_json"),
        (body.replace(b'name="report"', b'name="laporan"'), ctype, 400, "bad_multipart"),
        (body[: body.rindex(b"--b0undary-XyZ--")], ctype, 400, "bad_multipart"),
        (body, "multipart/form-data", 400, "bad_multipart"),
        (body, "multipart/form-data; boundary=other", 400, "bad_multipart"),
        (json.dumps(GOOD).encode(), "text/plain", 415, "unsupported_media_type"),
        (JPEG, "image/jpeg", 415, "unsupported_media_type"),
    ]
    two_reports, two_ctype = form(GOOD, [("report", None, "application/json", b"{}")])
    cases.append((two_reports, two_ctype, 400, "bad_multipart"))
    for raw, content_type, status, code in cases:
        got_status, doc = await post_raw(mobile, raw, content_type)
        assert (got_status, doc["error"]["code"]) == (status, code), (raw[:80], doc)
    assert await mobile.gw.store.list_reports(None, 10) == []
    assert stored_files(mobile) == []


async def test_photo_larger_than_the_json_limit(gateway_factory: Any, config_factory: Any) -> None:
    config = config_factory({"adapters": {"mobile": {**MOBILE, "max_upload_bytes": 400_000}}})
    h = await gateway_factory(config)
    photo = b"\xff\xd8\xff" + bytes(range(256)) * 1000  # 256 kB, four times max_body_bytes
    assert len(photo) > 3 * config.gateway.max_body_bytes
    body, ctype = form(GOOD, [("photo", "big.jpg", "image/jpeg", photo)])
    status, doc = await post_raw(h, body, ctype)
    assert status == 201, doc
    digest = hashlib.sha256(photo).hexdigest()
    assert (attachments_dir(h) / f"{digest}.jpg").read_bytes() == photo


async def test_whole_body_limit(gateway_factory: Any, config_factory: Any) -> None:
    config = config_factory({"adapters": {"mobile": {**MOBILE, "max_uploads": 1}}})
    h = await gateway_factory(config)
    huge = b"\xff\xd8\xff" + b"\x00" * (config.gateway.max_body_bytes + 3 * 4096 + 10_000)
    body, ctype = form(GOOD, [("photo", "huge.jpg", "image/jpeg", huge)])
    status, doc = await post_raw(h, body, ctype)
    assert status == 413 and doc["error"]["code"] == "body_too_large"
    big_json = {**GOOD, "text": "x" * 19_000, "title": "t"}
    status, doc = await post_raw(
        h,
        json.dumps({**big_json, "pad": "y" * config.gateway.max_body_bytes}).encode(),
        "application/json",
    )
    assert status == 413


# -- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(JPEG, uploads.JPEG, id="jpeg"),
        pytest.param(png_bytes(), uploads.PNG, id="png"),
        pytest.param(WEBP, uploads.WEBP, id="webp"),
        pytest.param(HEIC, uploads.HEIC, id="heic"),
        pytest.param(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8, None, id="mp4-not-heic"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", None, id="wav-not-webp"),
        pytest.param(b"GIF89a", None, id="gif"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", None, id="svg"),
        pytest.param(b"\xff\xd8", None, id="truncated-jpeg"),
        pytest.param(b"", None, id="empty"),
    ],
)
def test_sniff(data: bytes, expected: uploads.ImageKind | None) -> None:
    assert uploads.sniff(data) == expected


def test_store_is_idempotent(tmp_path: Path) -> None:
    first = uploads.store(tmp_path, JPEG, uploads.JPEG)
    second = uploads.store(tmp_path, JPEG, uploads.JPEG)
    assert first == second and [p.name for p in tmp_path.iterdir()] == [f"{first.sha256}.jpg"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(b"no boundary here", "opening boundary", id="no-opening"),
        pytest.param(
            b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nx", "closing", id="no-closing"
        ),
        pytest.param(b"--B\r\nname: a\r\n\r\nx\r\n--B--", "Content-Disposition", id="no-cd"),
        pytest.param(
            b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--", "no name", id="no-name"
        ),
        pytest.param(
            b"--B\r\nContent-Disposition: form-data; name=a\r\nx\r\n--B--",
            "separator",
            id="no-blank-line",
        ),
        pytest.param(
            b"--Bjunk\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--B--",
            "new line",
            id="junk-after-boundary",
        ),
    ],
)
def test_multipart_errors(body: bytes, problem: str) -> None:
    with pytest.raises(multipart.MultipartError, match=problem):
        multipart.parse(body, "B", max_parts=5)


def test_multipart_keeps_binary_exactly() -> None:
    data = b"\r\n--B\r\x00\xff\r\n\r\n"  # looks like framing, but is not a full delimiter line
    body = (
        b'preamble\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        + data.replace(b"--B", b"-B")
        + b"\r\n--B--\r\n"
    )
    [part] = multipart.parse(body, "B", max_parts=5)
    assert (part.name, part.filename) == ("f", "x.bin")
    assert part.data == data.replace(b"--B", b"-B")
