"""The forwarder link's messages (:mod:`outbox.link`): what one process encodes, the other
decodes to the same typed values; a line that is not a message is refused with ValueError."""

from __future__ import annotations

import pytest

from outbox import link
from outbox.jobs import Attempt, OutboxOutcome


def test_outcomes_round_trip_with_typed_verdicts() -> None:
    sent = link.Outcomes(
        outcomes=[
            OutboxOutcome(1, Attempt.DONE, core_case_id="C-1", similar_to=[{"tracking_id": "T"}]),
            OutboxOutcome(2, Attempt.RETRY, error="503", retry_at=1234.5),
        ],
        deliveries=[link.Delivery(kind="forward", target="core", result=Attempt.DEAD)],
        forwarded_s=[0.25],
    )
    line = link.encode(sent)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    got = link.decode(line)
    assert got == sent
    assert isinstance(got, link.Outcomes)
    assert got.outcomes[1].state is Attempt.RETRY and got.deliveries[0].result is Attempt.DEAD


def test_heartbeat_round_trip() -> None:
    beat = link.Heartbeat(loop_at=12.5, paused={"core": 3.0})
    assert link.decode(link.encode(beat)) == beat


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"not json\n", id="not-json"),
        pytest.param(b'{"type": "gossip"}\n', id="unknown-type"),
        pytest.param(b'{"type": "heartbeat", "loop_at": 1.0}\n', id="missing-field"),
        pytest.param(
            b'{"type": "outcomes", "outcomes": [{"id": 1, "state": "lost"}]}\n', id="bad-state"
        ),
        pytest.param(b'{"t": "hb", "loop_at": 1.0, "paused": {}}\n', id="old-one-letter-keys"),
    ],
)
def test_a_line_that_is_not_a_message_is_refused(line: bytes) -> None:
    with pytest.raises(ValueError):
        link.decode(line)
