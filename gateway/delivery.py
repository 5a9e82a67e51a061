"""Routes outbox rows to whoever delivers them: the core case store or an adapter."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from gateway import metrics
from gateway.adapter import Adapter, OutboundMessage, SendError, StoreUnavailableError
from gateway.linker import Linker
from gateway.store.interfaces import CaseStore, ReportReader
from normalizer import Report
from outbox.core_client import CoreClient, Delivered
from outbox.jobs import (
    AckJob,
    AddendumJob,
    ForwardJob,
    OutboxItem,
    StatusUpdateJob,
    UnreadableJob,
)


def core_document(report: Report) -> dict[str, Any]:
    """The JSON the core case store receives: the whole report, flags included, so the core
    can hide identity (anonymous) and content (confidential) from agencies and the public."""
    return report.model_dump(mode="json")


class GatewayDeliverer:
    """The relay's deliverer: forwards and addenda to the core, acks and status updates to
    the adapter that replies; an unreadable row is a permanent failure (dead letter).

    Reports come from *store* (a row's own ``report_json`` first). Rows bound for the core
    go to *core* over HTTP or, without one, to the embedded *case_store*: one of the two
    is required. With a *linker*, a report's level-3 ``similar_to`` links are computed just
    before its forward (:mod:`gateway.linker`) and go with it."""

    def __init__(
        self,
        store: ReportReader,
        adapters: Mapping[str, Adapter],
        core: CoreClient | None,
        *,
        case_store: CaseStore | None = None,
        linker: Linker | None = None,
        on_forwarded: Callable[[float], None] = metrics.FORWARD_LATENCY.observe,
    ) -> None:
        if core is None and case_store is None:
            raise ValueError("without a core client, the embedded case_store is required")
        self.store = store
        self.adapters = adapters
        self.core = core
        self.case_store = case_store
        self.linker = linker
        #: receives seconds from receipt to the core's answer (the forwarder process sends
        #: it to the main process, which owns /metrics)
        self.on_forwarded = on_forwarded
        #: forwards link one at a time, each in a turn of the loop of its own (see _link)
        self._linking = asyncio.Lock()

    async def __call__(self, item: OutboxItem) -> Delivered:
        job = item.job
        try:
            match job:
                case ForwardJob() | AddendumJob():
                    return await self._to_core(item, job)
                case AckJob() | StatusUpdateJob():
                    return await self._to_adapter(item, job)
                case UnreadableJob():
                    raise SendError(job.error, retryable=False)
        except StoreUnavailableError as exc:
            raise SendError(f"store unavailable: {exc}", retryable=True) from None

    async def _to_core(self, item: OutboxItem, job: ForwardJob | AddendumJob) -> Delivered:
        if item.tracking_id is None:
            raise SendError("outbox row has no tracking ID", retryable=False)
        if item.report_json is not None:
            report = Report.model_validate_json(item.report_json)
        else:
            found = await self.store.get_report(item.tracking_id)
            if found is None:
                raise SendError("report not found", retryable=False)
            report = found[0]
        document = core_document(report)
        if isinstance(job, AddendumJob):
            document["addendum_to"] = job.original
            if self.core is None:
                assert self.case_store is not None
                await self.case_store.embedded_core_addendum(job.original, document)
                return Delivered()
            return await self.core.addendum(job.original, item.tracking_id, document)
        links = await self._link(report)
        if links:
            document["similar_to"] = links
        if report.region:  # resolved from the text by the linker (gateway.linker)
            document["region"] = report.region
        if self.core is None:
            assert self.case_store is not None
            case_id = await self.case_store.embedded_core_receive(item.tracking_id, document)
            delivered = Delivered(core_case_id=case_id)
        else:
            delivered = await self.core.forward(item.tracking_id, document)
        self.on_forwarded(max(0.0, time.time() - report.received_at.timestamp()))
        return dataclasses.replace(delivered, similar_to=links) if links else delivered

    async def _link(self, report: Report) -> list[dict[str, Any]]:
        """Level-3 links of a report about to be forwarded, as JSON objects.

        The relay starts a pass's forwards together: linked back to back (linking is a
        forward's costliest step) they would hold the loop for the whole pass, every ack,
        deliver_sm and commit waiting behind them. So one at a time, each after a yield: I/O
        runs between two forwards' linking. The lock is FIFO: linked in outbox order."""
        if self.linker is None:
            return []
        async with self._linking:
            await asyncio.sleep(0)
            return [link.model_dump(mode="json") for link in self.linker.link(report)]

    async def _to_adapter(self, item: OutboxItem, job: AckJob | StatusUpdateJob) -> Delivered:
        adapter = self.adapters.get(item.target)
        if adapter is None:
            raise SendError(f"adapter {item.target} is not enabled", retryable=True)
        message = OutboundMessage(
            outbox_id=item.id,
            kind=job.kind,
            tracking_id=item.tracking_id,
            reply_to=job.reply_to,
            text=job.text,
            payload=dict(job.data),
            confidential=job.confidential,
        )
        result = await adapter.send(message)
        return Delivered(message_id=result.message_id)
