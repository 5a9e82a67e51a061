"""Long polling ``getUpdates``, the offset confirmed only after the commit.

Telegram keeps an update until a ``getUpdates`` call asks for an ``offset`` above its
``update_id``. The offset lives in the checkpoint ``telegram.offset`` (the ``update_id``
after the last update fully handled), never only in memory:

* each poll asks from the stored offset, so whatever was not committed comes again after a
  crash or restart;
* updates are handled in ``update_id`` order; a report's submit carries
  ``checkpoint=("telegram.offset", update_id + 1)``, so the report and the offset commit in
  one transaction; other outcomes (answers, opt-outs, skipped updates) set the offset right
  after their own commit. A crash in between repeats only that update, which its inbound
  key absorbs (and an answer is queued once per inbound key);
* the offset never moves backwards.

A stop request cancels a long poll still waiting for Telegram (nothing fetched is lost:
it was not confirmed) and lets an update being committed finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.telegram import metrics
from adapters.telegram.client import BotClient
from adapters.telegram.conversation import OFFSET, Conversation
from adapters.telegram.inbound import TgMessage, parse_update, update_id_of
from gateway.adapter import CheckpointStore

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self, client: BotClient, conversation: Conversation, checkpoints: CheckpointStore
    ) -> None:
        self.client = client
        self.conversation = conversation
        self.checkpoints = checkpoints
        self.last_poll_at: datetime | None = None
        self._fetch: asyncio.Task[list[dict[str, object]]] | None = None

    async def offset(self) -> int | None:
        stored = await self.checkpoints.get_checkpoint(OFFSET)
        return int(stored) if stored and stored.isdigit() else None

    def cancel_fetch(self) -> None:
        """Abandon a long poll in progress (its updates stay unconfirmed at Telegram)."""
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()

    async def poll(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        """One ``getUpdates`` and every update it returned; the number of updates handled.
        Raises a :class:`~.errors.BotApiError` or ``StoreUnavailableError`` on failure (the
        updates not yet handled are asked for again next time)."""
        offset = await self.offset()
        if should_stop():
            return 0
        self._fetch = asyncio.ensure_future(self.client.get_updates(offset))
        try:
            updates = await self._fetch
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if should_stop() and not (task is not None and task.cancelling()):
                return 0  # only the fetch was abandoned by stop()
            raise
        finally:
            self._fetch = None
        self.last_poll_at = datetime.now(UTC)
        handled = 0
        ordered = sorted(
            (u for u in updates if update_id_of(u) is not None),
            key=lambda u: update_id_of(u) or 0,
        )
        for update in ordered:
            if should_stop():
                break
            update_id = update_id_of(update)
            assert update_id is not None
            if offset is not None and update_id < offset:
                continue  # already confirmed (a server that ignored the offset)
            checkpoint = (OFFSET, str(update_id + 1))
            parsed = parse_update(update)
            if isinstance(parsed, TgMessage):
                await self.conversation.handle(parsed, source="polling", checkpoint=checkpoint)
            else:
                reason = parsed.reason if parsed is not None else "unreadable"
                metrics.INBOUND.labels("polling", "skipped").inc()
                log.info("telegram update %d skipped: %s", update_id, reason)
                await self.checkpoints.set_checkpoint(*checkpoint)
            offset = update_id + 1
            handled += 1
        return handled
