"""What the outbox carries: typed jobs, the due rows (items) the relay works on, and the
verdict on each attempt.

Defined here, not in the store, so the relay depends on nothing but these types; the
store persists jobs and outcomes and returns items.

A job is stored as two columns: ``kind`` (:class:`OutboxKind`) and ``payload`` (JSON, the
job's fields without its ``job`` tag). A status update is stored as an ``ack`` whose payload
``kind`` is ``status_update``, so rows written before the jobs were typed read back as the
same jobs (:func:`read_job`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from normalizer import ReplyAddress

#: the target of rows bound for the core case store (any other target is an adapter's name)
CORE_TARGET = "core"


class OutboxKind(StrEnum):
    """The ``kind`` column of an outbox row (and the ``kind`` label of delivery metrics)."""

    FORWARD = "forward"
    ADDENDUM = "addendum"
    ACK = "ack"


class OutboxState(StrEnum):
    """The ``state`` column of an outbox row."""

    #: due at ``next_attempt_at`` (the relay picks it up)
    PENDING = "pending"
    #: flood control: waits for an operator or for the sender to calm down
    HELD = "held"
    DONE = "done"
    #: gave up (``lapor-gateway outbox dead-letters``; ``outbox replay`` brings it back)
    DEAD = "dead"


class Attempt(StrEnum):
    """The verdict on one delivery attempt (and the ``result`` label of delivery metrics)."""

    DONE = "done"
    #: failed, due again at ``retry_at``; spends an attempt
    RETRY = "retry"
    #: the peer throttled us: due again at ``retry_at`` without spending an attempt
    DEFERRED = "deferred"
    #: permanent failure or attempts exhausted: dead letter
    DEAD = "dead"


class _Job(BaseModel):
    # extra keys are ignored, not refused: a row must stay deliverable whatever an older
    # or newer version wrote beside the fields this one reads
    model_config = ConfigDict(frozen=True, extra="ignore")

    row_kind: ClassVar[OutboxKind]

    @property
    def target(self) -> str:
        """Who delivers it: ``core`` or the registry name of the adapter that replies."""
        return CORE_TARGET


class ForwardJob(_Job):
    """Send a new report to the core case store (the report is read with the row)."""

    row_kind: ClassVar[OutboxKind] = OutboxKind.FORWARD
    job: Literal["forward"] = "forward"


class AddendumJob(_Job):
    """Send a repeat (``addendum`` False) or a follow-up that adds to the case (True) of
    report *original* to the core."""

    row_kind: ClassVar[OutboxKind] = OutboxKind.ADDENDUM
    job: Literal["addendum"] = "addendum"
    original: str
    addendum: bool = False


class _MessageJob(_Job):
    """Text for the citizen, rendered from the operator's templates when queued; ``data``
    is its structured form for channels that post JSON (signed callbacks)."""

    row_kind: ClassVar[OutboxKind] = OutboxKind.ACK
    reply_to: ReplyAddress
    text: str
    confidential: bool = False
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.reply_to.adapter


class AckJob(_MessageJob):
    """An answer to the citizen; ``kind`` names the template (``received``, ``duplicate``,
    ``addendum``, or the answer to a command)."""

    job: Literal["ack"] = "ack"
    kind: str = "ack"


class StatusUpdateJob(_MessageJob):
    """The core changed the status of the citizen's report."""

    job: Literal["status_update"] = "status_update"
    kind: Literal["status_update"] = "status_update"


#: every job the outbox delivers, told apart by its ``job`` tag
Job = Annotated[ForwardJob | AddendumJob | AckJob | StatusUpdateJob, Field(discriminator="job")]
_JOBS: TypeAdapter[ForwardJob | AddendumJob | AckJob | StatusUpdateJob] = TypeAdapter(Job)


def job_payload(job: Job) -> str:
    """The ``payload`` column of *job* (its ``kind`` column is ``job.row_kind``): JSON
    written by pydantic's serializer straight from the model, with no dict in between."""
    return job.model_dump_json(exclude={"job"})


def read_job(kind: str, payload: str) -> Job:
    """The job of a stored row; ValueError (naming the fields, never their values, which
    may be personal data) when the row cannot be read."""
    try:
        data = json.loads(payload)
    except ValueError:
        raise ValueError(f"{kind} payload is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError(f"{kind} payload is not a JSON object")
    if kind not in tuple(OutboxKind):
        raise ValueError(f"unknown outbox kind {kind!r}")
    tag = "status_update" if kind == "ack" and data.get("kind") == "status_update" else kind
    try:
        return _JOBS.validate_python({**data, "job": tag})
    except ValidationError as exc:
        fields = ", ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or '-'}: {e['type']}" for e in exc.errors()
        )
        raise ValueError(f"unreadable {kind} payload ({fields})") from None


@dataclass(frozen=True)
class UnreadableJob:
    """A stored row that :func:`read_job` refused: dead-lettered with *error*, so one bad
    row never stops the others."""

    kind: str
    error: str


@dataclass(frozen=True)
class OutboxItem:
    """A due outbox row: its job, or why it could not be read.

    ``report_json``: for ``forward`` and ``addendum``, the report as stored, read with the
    row (one read per relay pass, not one per forwarded report); None otherwise.
    """

    id: int
    job: Job | UnreadableJob
    tracking_id: str | None
    target: str
    attempts: int
    created_at: float
    report_json: str | None = None

    @property
    def kind(self) -> str:
        """The row's ``kind`` column."""
        if isinstance(self.job, UnreadableJob):
            return self.job.kind
        return self.job.row_kind.value


@dataclass(frozen=True)
class OutboxOutcome:
    """The verdict on an attempt (:class:`Attempt`); ``retry_at`` (unix seconds) is when a
    retried or deferred row is due again. It is absolute so that the row and its paused target
    become due at the same moment, however late the outcome is committed.

    ``similar_to``: the level-3 links sent with a forwarded report (JSON objects with
    ``tracking_id`` and ``score``), stored with the report when the outcome is committed."""

    id: int
    state: Attempt
    error: str | None = None
    retry_at: float = 0.0
    message_id: str | None = None
    core_case_id: str | None = None
    similar_to: list[dict[str, Any]] | None = None


class SendError(Exception):
    """A delivery attempt failed. Errors are data: ``retryable`` decides between backoff and
    the dead-letter table; ``retry_after`` (seconds) is honoured when the peer sent one.

    ``throttled``: the peer asked us to slow down (SMPP ``ESME_RTHROTTLED``). That is flow
    control, not a failure of the message: the relay backs off with growing waits without
    spending the row's attempts, and gives up only after the policy's time budget."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        throttled: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable or throttled
        self.retry_after = retry_after
        self.throttled = throttled
