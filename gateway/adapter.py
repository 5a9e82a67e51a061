"""The narrow interface between the gateway and its channel adapters.

An adapter (one class per module, e.g. ``SmppAdapter`` in ``adapters/sms/smpp/adapter.py``)
sees only what is defined here:

* :class:`Intake`, the pipeline as an adapter sees it: hand it a normalized report (or a
  non-report message such as a status query) and get the result *after* it is durably
  committed. Only then may the adapter tell its transport "received".
* :class:`OutboundMessage` / :class:`SendError`, what the outbox asks the adapter to send and how
  the adapter says it failed (errors are data: retryable or not).
* :class:`Adapter`, the lifecycle every adapter implements.

Adapters never import the HTTP server, the store or each other.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from aiohttp import web

from normalizer import ReplyAddress, Report
from outbox.jobs import SendError

__all__ = [
    "Adapter",
    "AdapterContext",
    "CheckpointStore",
    "Command",
    "Fragment",
    "FragmentStore",
    "Health",
    "Intake",
    "IntakeResult",
    "OutboundMessage",
    "Route",
    "SendError",
    "SendResult",
    "StatusEntry",
    "StatusView",
    "StoreUnavailableError",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StoreUnavailableError(RuntimeError):
    """The durable commit failed; the adapter must NOT acknowledge to its transport."""


@dataclass(frozen=True)
class Route:
    """An HTTP route a webhook adapter contributes to the single listener."""

    method: str
    path: str
    handler: Handler
    name: str | None = None


S = TypeVar("S")


@dataclass(frozen=True)
class Command(Generic[S]):
    """An operator subcommand a door contributes, ``lapor-gateway <group> <name>``,
    declared on its registry row. It runs on the door's own config section (*S*) and the
    gateway's data folder, without a running gateway. ``run`` returns the exit code, or
    with ``rows`` the rows to print (the CLI adds ``--json`` and prints a table or JSON)."""

    group: str
    group_help: str
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[S, Path, argparse.Namespace], int | list[dict[str, Any]]]
    rows: bool = False


@dataclass(frozen=True)
class IntakeResult:
    """What the pipeline decided about one inbound message, after the commit.

    ``repeat`` is True when the same transport message was seen before (level-1 duplicate):
    the adapter answers its transport exactly as the first time and sends nothing new.
    ``duplicate_of`` is set when the same reporter sent the same complaint again (level 2).
    """

    tracking_id: str
    status: str
    repeat: bool = False
    duplicate_of: str | None = None
    conflict: bool = False


@dataclass(frozen=True)
class StatusEntry:
    at: datetime
    status: str
    note: str | None = None


@dataclass(frozen=True)
class StatusView:
    """Public status of a report: never identity when anonymous, never text when confidential."""

    tracking_id: str
    status: str
    channel: str
    received_at: datetime
    history: list[StatusEntry] = field(default_factory=list)
    agency: str | None = None
    #: the report's category (Open311 service_code); a classification, not personal data
    category: str | None = None


@dataclass(frozen=True)
class Fragment:
    """One stored part of a multipart transport message (SMS concatenation)."""

    part: int
    data: bytes
    meta: dict[str, Any]


class FragmentStore(Protocol):
    """Durable parts of multipart transport messages (SMS concatenation): what the SMS
    adapters need to reassemble a message whose parts arrive apart, across restarts."""

    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None:
        """Durably store one part of a multipart message. Returns every part (ordered) when
        the group is complete, else None. A repeated part is absorbed."""
        ...

    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]:
        """Incomplete groups whose first part is older than *older_than_s* seconds."""
        ...

    async def drop_fragments(self, group: str) -> None:
        """Forget a group once its report is committed."""
        ...


class CheckpointStore(Protocol):
    """Named durable values of a polling adapter (the X ``since_id`` cursors)."""

    async def get_checkpoint(self, name: str) -> str | None:
        """The value last set under *name*, or None."""
        ...

    async def set_checkpoint(self, name: str, value: str) -> None:
        """Set *name* to *value* (committed when this returns)."""
        ...


class Intake(FragmentStore, CheckpointStore, Protocol):
    """The pipeline, as adapters see it. Every method returns only after the durable commit
    and raises :class:`StoreUnavailableError` when it could not commit.

    The per-adapter state (:class:`FragmentStore` for SMS, :class:`CheckpointStore` for X)
    comes with it; code that needs only that state is typed with the narrower protocol."""

    async def submit(
        self,
        report: Report,
        *,
        inbound_key: str,
        body_hash: str | None = None,
        checkpoint: tuple[str, str] | None = None,
    ) -> IntakeResult:
        """File *report*. *inbound_key* identifies the transport message (channel + external
        id, or an idempotency key) and absorbs redelivery. *checkpoint* (name, value) is
        written in the same transaction, e.g. the X mentions cursor."""
        ...

    async def answer(
        self,
        *,
        inbound_key: str,
        reply_to: ReplyAddress,
        template: str,
        params: dict[str, str] | None = None,
        tracking_id: str | None = None,
    ) -> bool:
        """Queue a templated reply to a message that is not a report (status query, help,
        opt-out confirmation) exactly once per *inbound_key*. False when it was a repeat."""
        ...

    async def status(self, tracking_id: str) -> StatusView | None:
        """Public status of a canonical tracking ID, or None when unknown."""
        ...

    async def add_followup(self, tracking_id: str, *, inbound_key: str, text: str) -> bool:
        """Attach a follow-up message (e.g. a reply in a report's X thread) to a report."""
        ...

    async def set_opt_out(self, identity: str, opted_out: bool, *, inbound_key: str) -> bool:
        """Record that *identity* (``phone:+62...``, ``x:123``) wants no status updates."""
        ...

    async def delivery_receipt(self, adapter: str, message_id: str, state: str) -> bool:
        """Record a transport delivery receipt for an ack we sent (by its transport id)."""
        ...

    async def inbound_key_age(self, key: str) -> float | None:
        """Seconds since *inbound_key* was claimed, or None when it never was (for a
        transport whose redelivery key needs a look at the previous time bucket)."""
        ...


@dataclass(frozen=True)
class OutboundMessage:
    """An ack or status update the outbox asks an adapter to deliver.

    ``text`` is already rendered from the operator's templates; ``payload`` carries the
    structured form for channels that post JSON (signed callbacks).
    """

    outbox_id: int
    kind: str
    tracking_id: str | None
    reply_to: ReplyAddress
    text: str
    payload: dict[str, Any] = field(default_factory=dict)
    confidential: bool = False


@dataclass(frozen=True)
class SendResult:
    """Success; ``message_id`` is the transport's id (SMSC message id, tweet id) for receipts."""

    message_id: str | None = None


@dataclass
class Health:
    """What ``/readyz`` and metrics show for one adapter."""

    ok: bool
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: each transport of the adapter (an SMPP bind, a modem) and whether it is up; empty
    #: when the adapter is its only transport (``ok`` says then whether it is up)
    transports: dict[str, bool] = field(default_factory=dict)


async def _sole_instance() -> bool:
    return True


@dataclass(frozen=True)
class AdapterContext:
    """Everything an adapter receives from the gateway at start."""

    intake: Intake
    data_dir: Path
    country: str
    max_body_bytes: int
    #: global back-pressure: seconds a webhook should ask clients to wait (503 +
    #: Retry-After) when the store or outbox lags, else None
    overloaded: Callable[[], float | None] = field(default=lambda: None)
    #: ``await leader(name)``: True while this instance holds the leader lease *name*, for
    #: work that must run on one instance at a time (several instances share a database;
    #: alone, an instance holds every lease)
    leader: Callable[[str], Awaitable[bool]] = field(default=lambda name: _sole_instance())


class Adapter:
    """Base class of every channel adapter.

    Lifecycle: ``start`` (connect, spawn workers), ``stop`` (drain, disconnect; idempotent);
    ``async with adapter:`` does both, which is how the gateway runs it.
    Webhook adapters return their routes from :meth:`routes` before ``start``.
    """

    #: registry name, also the ``ReplyAddress.adapter`` of reports it files
    name: str = ""

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return []

    async def __aenter__(self) -> Adapter:
        """Start; an adapter that fails half-way (one modem of two) is stopped before the
        error propagates, so the caller's stack unwinds only what fully started."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Connect and start background workers."""

    async def stop(self) -> None:
        """Stop taking new work, finish in-flight commits, disconnect."""

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver an ack/status update. Raise :class:`SendError` on failure."""
        raise SendError(f"adapter {self.name} cannot send", retryable=False)

    def health(self) -> Health:
        return Health(ok=True)
