"""The write health both store backends report (:meth:`CommitHealth.healthy`)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from gateway.adapter import StoreUnavailableError


class CommitHealth(ABC):
    """``healthy()``: a write transaction can commit now, and no real commit failed within
    ``failure_memory_s``. A probe alone cannot tell a full disk (an empty transaction
    commits fine), so a real failure is remembered."""

    #: how long a failed commit keeps :meth:`healthy` false
    failure_memory_s: float = 5.0

    @abstractmethod
    def last_commit_failure(self) -> float | None:
        """When (``time.monotonic()``) a commit last failed, None if none has."""

    @abstractmethod
    async def probe_write(self) -> None:
        """Run a write transaction that changes nothing; StoreUnavailableError if it fails."""

    async def healthy(self) -> bool:
        failed_at = self.last_commit_failure()
        if failed_at is not None and time.monotonic() - failed_at < self.failure_memory_s:
            return False
        try:
            await self.probe_write()
        except StoreUnavailableError:
            return False
        return True
