"""Reassembly of concatenated SMS and the sweeper that files incomplete ones.

Shared by every SMS transport. Parts are stored durably through
:meth:`~gateway.adapter.Intake.store_fragment` *before* the transport is acknowledged, keyed
by a group string the transport builds (for SMPP ``smpp:<bind>:<sender>:<ref bits>:<ref>:
<total>``, so parts of different senders, binds and references never mix, whatever their
order). Each fragment's ``meta`` carries what decoding needs (``dc``: data_coding, ``dc0``,
``total``) plus transport details for the report.

Decoding happens on the *joined* bytes of consecutive parts with the same data_coding, so a
GSM escape or a UTF-16 surrogate pair that a sloppy sender split across two parts still
decodes. A part that never arrived is marked in the text (:data:`MISSING_MARK`) so a case
handler sees the complaint is incomplete.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from adapters.sms import codec
from gateway.adapter import Fragment, Intake

log = logging.getLogger(__name__)

MISSING_MARK = "[...bagian {part}/{total} tidak diterima...]"


def assemble(fragments: list[Fragment], total: int) -> tuple[str, list[int]]:
    """Text of the stored parts in order, with missing parts marked; and the missing numbers."""
    by_part = {f.part: f for f in fragments}
    missing = [n for n in range(1, total + 1) if n not in by_part]
    pieces: list[str] = []
    run: list[Fragment] = []

    def flush() -> None:
        if run:
            meta = run[0].meta
            decoded = codec.decode(
                b"".join(f.data for f in run),
                int(meta.get("dc", 0)),
                dc0=str(meta.get("dc0", "gsm0338")),
            )
            pieces.append(decoded.text)
            run.clear()

    for n in range(1, total + 1):
        frag = by_part.get(n)
        if frag is None:
            flush()
            pieces.append(" " + MISSING_MARK.format(part=n, total=total) + " ")
            continue
        if run and run[0].meta.get("dc") != frag.meta.get("dc"):
            flush()
        run.append(frag)
    flush()
    return "".join(pieces), missing


GroupHandler = Callable[[str, list[Fragment]], Awaitable[None]]


async def sweep_once(
    intake: Intake, *, prefix: str, older_than_s: float, handle: GroupHandler
) -> int:
    """File every expired group whose key starts with *prefix* via *handle* (which must
    commit the report and then drop the group). Returns the number of groups handled.
    A failing group is logged and retried on the next sweep; the others still go through."""
    groups = await intake.expired_fragment_groups(older_than_s)
    done = 0
    for group, fragments in groups.items():
        if not group.startswith(prefix):
            continue
        try:
            await handle(group, fragments)
            done += 1
        except Exception:
            log.exception("multipart group could not be filed; retrying next sweep")
    return done
