"""A message's photo, fetched and stored like the mobile app's photos.

Telegram sends one photo in several sizes (``PhotoSize``, ascending). The largest size
whose ``file_size`` is within ``max_photo_bytes`` is fetched (``getFile``, then
``/file/bot<token>/<file_path>``), identified by its magic bytes and stored under its
sha256 (:mod:`adapters.uploads`: the mobile app's limits and storage), before the report
is committed.

Failures are sorted the way the commit rule needs: a transient one (Bot API down, timeout)
propagates, so the update is not confirmed and comes again; a permanent one (every size too
big, not an image, the file expired) files the report without the picture, its ``file_id``
kept in the raw payload and the reason in ``photo_error``, because a complaint must never
be held back by its attachment.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from adapters import uploads
from adapters.telegram.client import BotClient
from adapters.telegram.errors import ClientError, TransientError
from adapters.telegram.inbound import PhotoSize
from normalizer import Attachment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhotoResult:
    attachment: Attachment | None
    file_id: str
    error: str | None = None


def pick_size(sizes: tuple[PhotoSize, ...], max_bytes: int) -> PhotoSize | None:
    """The largest size known to fit *max_bytes* (sizes without ``file_size`` count as
    fitting: the download is cut at the limit anyway)."""
    fitting = [s for s in sizes if s.file_size is None or s.file_size <= max_bytes]
    return fitting[-1] if fitting else None


async def fetch_photo(
    client: BotClient, sizes: tuple[PhotoSize, ...], attachments_dir: Path, max_bytes: int
) -> PhotoResult:
    """Download and store the photo; raises :class:`~.errors.TransientError` (retry the
    update later), returns a result with ``error`` for permanent failures."""
    chosen = pick_size(sizes, max_bytes)
    if chosen is None:
        return PhotoResult(None, sizes[-1].file_id, f"every size exceeds {max_bytes} bytes")
    try:
        info = await client.get_file(chosen.file_id)
        path = info.get("file_path")
        if not isinstance(path, str) or not path:
            return PhotoResult(None, chosen.file_id, "getFile gave no file_path")
        data = await client.download(path, max_bytes)
    except TransientError:
        raise
    except ClientError as exc:
        return PhotoResult(None, chosen.file_id, str(exc))
    kind = uploads.sniff(data)
    if kind is None:
        return PhotoResult(None, chosen.file_id, "not a JPEG, PNG, WebP or HEIC image")
    stored = await asyncio.to_thread(uploads.store, attachments_dir, data, kind)
    return PhotoResult(stored, chosen.file_id)
