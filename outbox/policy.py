"""Which retry policy a row is delivered under: the core's for rows bound for the core
case store, the adapters' for acks and status updates (a citizen's channel gives up after
its own number of attempts)."""

from __future__ import annotations

from dataclasses import dataclass

from outbox.backoff import RetryPolicy
from outbox.jobs import CORE_TARGET, OutboxItem


@dataclass(frozen=True)
class TargetPolicies:
    core: RetryPolicy
    adapters: RetryPolicy

    def for_item(self, item: OutboxItem) -> RetryPolicy:
        """The relay's ``policy_for``."""
        return self.core if item.target == CORE_TARGET else self.adapters
