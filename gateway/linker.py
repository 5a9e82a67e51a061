"""Level 3 of duplicate detection, done where reports are forwarded: ``similar_to`` links.

Level 3 links a new report to recent reports of *other* people that look alike (see
:mod:`gateway.similarity`). Its links are for case handlers at the core case store; the
citizen's answer never shows them (:mod:`gateway.dedup`). So they need to exist when the
report reaches the core, not when the citizen's request is answered.

Why here and not in the request path: the text analysis and the index query are the most
expensive work done per report, and the index is most of the gateway's memory. Run by the
process that forwards to the core -- the forwarder process with ``outbox.core_forwarder =
"process"`` -- both move to the second core, and the intake answers sooner at the same load.

Semantics, compared with linking at intake:

* Links are computed at the report's first forward attempt, against the reports forwarded
  before it (the relay forwards in outbox order; at start the index is warmed from reports
  whose forward is done, see ``SqliteStore.dedup_rows``). On PostgreSQL only the holder of
  the ``core-forwarder`` lease forwards (:class:`gateway.claims.LeaderQueue`), so one index
  sees the reports of every instance; it is warmed when the lease is taken. A retry after
  a failed forward computes them again (the report itself is excluded; a report forwarded
  in between may show up as an extra link).
* The reporter's own recent reports (any shared identity, inside the level-2 window) are
  never linked: that is level 2's business. The index keeps hashes of each report's
  identities for this (:func:`gateway.similarity.owner_hashes`), so no database read is
  needed per forward.
* Level-2 duplicates and addenda get no links and are not indexed: they travel as addenda
  of their original, whose case already has its links.
* Held reports (flood control) are linked when released and forwarded.
* The region (:func:`normalizer.regions.resolve_region`) is resolved from the text here
  too, when the channel sent none: it partitions the links and goes to the core for routing.

The links reach the core in the forwarded document and are stored with the report when the
forward's outcome is committed (``similar_to`` in the stored body).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gateway.sections import DedupSection
from gateway.similarity import IndexEntry, SimilarityIndex, owner_hashes
from normalizer.analysis import analyse
from normalizer.regions import resolve_region
from normalizer.report import Report, SimilarLink

if TYPE_CHECKING:
    from gateway.store.interfaces import WarmupSource

log = logging.getLogger(__name__)

#: warm-up rows indexed between two yields to the event loop (a few tens of milliseconds)
WARM_CHUNK = 2000
#: a warm-up row: (tracking_id, text, identity_keys, received_at, region, category, address)
#: (region: the channel's own ``location.region``; address: its ``location.address``)
WarmRow = tuple[str, str, Sequence[str], datetime, str | None, str | None, str | None]


class Linker:
    """The level-3 index and the one question asked of it before a forward."""

    def __init__(self, config: DedupSection) -> None:
        self.config = config
        #: how far back the reporter's own reports are excluded (level 2's window)
        self.own_window = timedelta(hours=config.window_hours)
        self.index = self._empty_index()

    def _empty_index(self) -> SimilarityIndex:
        return SimilarityIndex(
            threshold=self.config.similar_threshold,
            window=timedelta(days=self.config.similar_window_days),
            max_candidates=self.config.max_candidates,
            partition_by=self.config.partition_by,
            fact_bonus=self.config.fact_bonus,
        )

    def reset(self) -> None:
        """Forget every indexed report: the index is stale once another instance has
        forwarded reports (it lost the ``core-forwarder`` lease), and its memory is freed
        until this instance forwards again."""
        self.index = self._empty_index()

    async def warm(self, store: WarmupSource, *, fresh: bool = False) -> int:
        """Index the stored reports of the last ``similar_window_days`` (at start, or on
        taking the ``core-forwarder`` lease); with *fresh*, into an empty index."""
        if fresh:
            self.reset()
        since = datetime.now(UTC) - timedelta(days=self.config.similar_window_days)
        count = await self.load(await store.dedup_rows(since))
        log.info("similarity index warmed", extra={"reports": count})
        return count

    async def load(
        self, rows: AsyncIterable[WarmRow] | Iterable[WarmRow], *, now: datetime | None = None
    ) -> int:
        """Warm the index from stored reports (original reports of the window, oldest
        first); returns how many were indexed. The text is normalized here.

        Works in chunks of WARM_CHUNK rows and yields to the event loop between them: a
        million reports take about half a minute, and meanwhile the forwarder keeps
        sending its heartbeats and hears the main process close the link."""
        if isinstance(rows, AsyncIterable):
            stored = [row async for row in rows]
        else:
            stored = list(rows)
        reference = now or max((row[3] for row in stored), default=None)
        if reference is None:
            return 0
        count = 0
        for start in range(0, len(stored), WARM_CHUNK):
            entries = [_entry(row) for row in stored[start : start + WARM_CHUNK]]
            count += self.index.add_many(entries, now=reference)
            await asyncio.sleep(0)
        return count

    def link(self, report: Report) -> list[SimilarLink]:
        """Links of *report* (tracking ID assigned) to other people's similar reports, then
        index it so later reports can link to it; sets ``report.region`` when the text names
        a region and the report has none.

        Synchronous on purpose: the query and the insert happen without a yield in between,
        so two similar reports forwarded concurrently still see each other in order."""
        assert report.tracking_id is not None
        if report.region is None:
            address = report.location.address if report.location else None
            report.region = region_of(report.text, address)
        if report.duplicate_of:
            return []
        # the resolved code, else whatever region the channel sent (see _same_region)
        region = report.region or (report.location.region if report.location else None)
        analysis = analyse(report.text)
        owners = owner_hashes(report.reporter.identity_keys())
        found = self.index.query(
            analysis,
            region=region,
            category=report.category,
            exclude=(report.tracking_id,),
            limit=self.config.max_similar_links,
            owners=owners,
            owners_since=report.received_at - self.own_window,
        )
        links = [SimilarLink(tracking_id=c.tracking_id, score=c.score) for c in found]
        self.index.add(
            report.tracking_id,
            analysis,
            report.received_at,
            region=region,
            category=report.category,
            owners=owners,
        )
        return links


def region_of(text: str, address: str | None = None) -> str | None:
    """The Kemendagri code of the region a complaint names (its address first, then its
    text), or None. The channel's own ``location.region`` is free text, not a code, so it
    is not used here."""
    for source in (address, text):
        if source:
            found = resolve_region(source)
            if found is not None:
                return found.code
    return None


def _entry(row: WarmRow) -> IndexEntry:
    tracking_id, text, identities, received_at, region, category, address = row
    return IndexEntry(
        tracking_id,
        analyse(text),
        received_at,
        region_of(text, address) or region,
        category,
        owner_hashes(identities),
    )
