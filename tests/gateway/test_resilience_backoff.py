"""The resilience kit's backoff: each wait shape's delays per attempt, stateful and not."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from tenacity.wait import wait_base

from gateway.resilience.backoff import (
    Backoff,
    exponential,
    exponential_jitter,
    exponential_random,
)

#: pin tenacity's jitter to one end of its range
LOW: Callable[[float, float], float] = lambda low, high: low  # noqa: E731
HIGH: Callable[[float, float], float] = lambda low, high: high  # noqa: E731


@pytest.mark.parametrize(
    ("wait", "uniform", "expected"),
    [
        pytest.param(exponential(1.0, 30.0), HIGH, [1, 2, 4, 8, 16, 30, 30], id="exp-capped"),
        pytest.param(exponential(0.001, 0.1), LOW, [0.001, 0.002, 0.004], id="exp-small"),
        pytest.param(exponential_jitter(1.0, 10.0), LOW, [1, 2, 4, 8, 10], id="jitter-low"),
        pytest.param(exponential_jitter(1.0, 10.0), HIGH, [2, 3, 5, 9, 10], id="jitter-high"),
        pytest.param(exponential_random(10, 100), HIGH, [10, 20, 40, 80, 100], id="random-hi"),
        pytest.param(exponential_random(10, 100), LOW, [5, 5, 5, 5, 5], id="random-low-half"),
    ],
)
def test_delays_per_failure(
    monkeypatch: pytest.MonkeyPatch,
    wait: wait_base,
    uniform: Callable[[float, float], float],
    expected: list[float],
) -> None:
    monkeypatch.setattr(random, "uniform", uniform)
    backoff = Backoff(wait)
    assert [backoff.next() for _ in expected] == pytest.approx(expected)
    assert backoff.failures == len(expected)
    assert [backoff.delay(n) for n in range(1, len(expected) + 1)] == pytest.approx(expected)


def test_reset_starts_over() -> None:
    backoff = Backoff(exponential(1.0, 30.0))
    assert [backoff.next() for _ in range(3)] == [1, 2, 4]
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next() == 1


@pytest.mark.parametrize("attempt", [-3, 0, 1])
def test_delay_counts_from_one(attempt: int) -> None:
    assert Backoff(exponential(2.0, 60.0)).delay(attempt) == 2.0


def test_jitter_stays_in_range() -> None:
    backoff = Backoff(exponential_jitter(1.0, 900.0))
    for attempt in range(1, 40):
        base = min(2.0 ** (attempt - 1), 900.0)
        assert base <= backoff.delay(attempt) <= min(base + 1.0, 900.0)
