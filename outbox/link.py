"""The messages between the main process and the core forwarder process
(:mod:`gateway.forwarder`), one JSON object per line.

* main -> forwarder: the byte :data:`WAKE` ("rows were committed, look now"; coalesced,
  so it is a byte rather than a message);
* forwarder -> main: :class:`Outcomes`, the verdicts of its attempts, which the main
  process commits through its own group commit, with what ``/metrics`` counts; the
  attempts of a few milliseconds travel in one line, so the main process parses one line
  per batch, not three per report. :class:`Heartbeat` every second, for readiness.

Both ends are the same installation (the main process spawns the forwarder), so the
schema needs no versioning.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from outbox.jobs import Attempt, OutboxOutcome

WAKE = b"w"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Delivery(_Message):
    """One attempt, for the main process's delivery counters."""

    kind: str
    target: str
    result: Attempt


class Outcomes(_Message):
    """Verdicts to commit, attempts to count, and receipt-to-forward latencies (seconds)."""

    type: Literal["outcomes"] = "outcomes"
    outcomes: list[OutboxOutcome] = Field(default_factory=list)
    deliveries: list[Delivery] = Field(default_factory=list)
    forwarded_s: list[float] = Field(default_factory=list)


class Heartbeat(_Message):
    """The forwarder is alive; ``loop_at`` is when its relay last looped (unix seconds),
    ``paused`` the seconds left of each paused target."""

    type: Literal["heartbeat"] = "heartbeat"
    loop_at: float
    paused: dict[str, float]


ForwarderMessage = Annotated[Outcomes | Heartbeat, Field(discriminator="type")]
_MESSAGES: TypeAdapter[Outcomes | Heartbeat] = TypeAdapter(ForwarderMessage)


def encode(message: Outcomes | Heartbeat) -> bytes:
    """One line of the link."""
    return _MESSAGES.dump_json(message) + b"\n"


def decode(line: bytes) -> Outcomes | Heartbeat:
    """A line of the link; ValueError (pydantic's ValidationError) if it is not a message."""
    return _MESSAGES.validate_json(line)
