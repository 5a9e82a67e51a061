"""Uploaded photos: identify by magic bytes, store by content hash.

The declared Content-Type of a part is the client's claim; the first bytes are the fact. A
file is accepted only when its signature is one of the image formats phones produce (JPEG,
PNG, WebP, HEIC/HEIF), and it is stored as ``data_dir/attachments/<sha256>.<ext>``: the
name is the content, so a retried upload lands on the same file, and a report can never
point at a file that changes. The file is written to a temporary name, fsynced and renamed
before the report is committed, so a committed report never references a missing file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from normalizer import Attachment

#: ISO-BMFF brands of HEIF images from phone cameras (iPhone ``heic``; ``mif1`` generic HEIF)
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


@dataclass(frozen=True)
class ImageKind:
    content_type: str
    ext: str


JPEG = ImageKind("image/jpeg", "jpg")
PNG = ImageKind("image/png", "png")
WEBP = ImageKind("image/webp", "webp")
HEIC = ImageKind("image/heic", "heic")


def sniff(data: bytes) -> ImageKind | None:
    """The image format by its leading bytes, or None when it is not one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


def store(attachments_dir: Path, data: bytes, kind: ImageKind) -> Attachment:
    """Durably write *data* under its sha256 name (idempotent) and describe it."""
    digest = hashlib.sha256(data).hexdigest()
    attachments_dir.mkdir(parents=True, exist_ok=True)
    target = attachments_dir / f"{digest}.{kind.ext}"
    if not target.exists() or target.stat().st_size != len(data):
        # a unique temp name: two requests (or one with the same photo twice) may store the
        # same content at once; each renames its own complete copy over the same target
        fd, tmp_name = tempfile.mkstemp(dir=attachments_dir, prefix=f".{digest}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(attachments_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return Attachment(
        url=f"attachment://{digest}", sha256=digest, size=len(data), content_type=kind.content_type
    )
