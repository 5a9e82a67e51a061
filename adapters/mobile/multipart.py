"""A strict multipart/form-data parser over bytes we already hold.

Why not aiohttp's ``MultipartReader``: the mobile door must verify the HMAC over the raw body
*before* it interprets any of it, so the body is read whole (size-limited) first; parsing
those exact bytes afterwards means the signature covers precisely what we parse. The format
(RFC 7578 on RFC 2046) is small enough to parse exactly: parts are delimited by
``CRLF--boundary``, the last one by ``CRLF--boundary--``, and each part is headers, an empty
line, then raw bytes (no transfer encoding in form-data).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data; the message says where."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _params(header: str, value: str) -> Message:
    msg = Message()
    msg[header] = value
    return msg


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a ``multipart/form-data`` Content-Type header."""
    boundary = _params("content-type", content_type).get_param("boundary", header="content-type")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 70:
        raise MultipartError("multipart Content-Type needs a boundary of 1-70 characters")
    return boundary


def _part(raw: bytes, index: int) -> Part:
    head, sep, data = raw.partition(b"\r\n\r\n")
    if not sep:
        raise MultipartError(f"part {index} has no header/body separator")
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        if not line:
            continue
        key, colon, value = line.partition(b":")
        if not colon:
            raise MultipartError(f"part {index} has a malformed header line")
        try:
            headers[key.decode("ascii").strip().lower()] = value.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise MultipartError(f"part {index} has a header that is not UTF-8") from None
    disposition = headers.get("content-disposition")
    if disposition is None:
        raise MultipartError(f"part {index} has no Content-Disposition")
    params = _params("content-disposition", disposition)
    if params.get_content_disposition() != "form-data":
        raise MultipartError(f"part {index} is not form-data")
    name = params.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise MultipartError(f"part {index} has no name")
    filename = params.get_param("filename", header="content-disposition")
    return Part(
        name=name,
        filename=filename if isinstance(filename, str) else None,
        content_type=headers.get("content-type"),
        data=data,
    )


def parse(body: bytes, boundary: str, *, max_parts: int) -> list[Part]:
    """Split *body* into parts; raise :class:`MultipartError` on anything malformed and
    when there are more than *max_parts* parts (checked before any part is parsed)."""
    delimiter = b"--" + boundary.encode("ascii")
    # the first delimiter may start the body; every later one follows a CRLF
    if body.startswith(delimiter):
        rest = body[len(delimiter) :]
    else:
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            raise MultipartError("multipart body has no opening boundary")
        rest = body[start + 2 + len(delimiter) :]
    chunks = rest.split(b"\r\n" + delimiter)
    last = chunks[-1]
    if not last.startswith(b"--"):
        raise MultipartError("multipart body has no closing boundary")
    raw_parts = chunks[:-1]
    if len(raw_parts) > max_parts:
        raise MultipartError(f"more than {max_parts} parts")
    parts = []
    for index, chunk in enumerate(raw_parts, start=1):
        # after the delimiter: optional transport padding, then CRLF, then the part
        line_end = chunk.find(b"\r\n")
        if line_end < 0 or chunk[:line_end].strip(b" \t"):
            raise MultipartError(f"part {index} does not start on a new line")
        parts.append(_part(chunk[line_end + 2 :], index))
    return parts
