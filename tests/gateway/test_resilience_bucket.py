"""The resilience kit's token buckets: refill, debt, reservations, keyed tables (fake time)."""

from __future__ import annotations

import math

import pytest

from gateway.resilience.bucket import KeyedBuckets, TokenBucket


@pytest.mark.parametrize(
    ("capacity", "rate", "floor", "takes_at", "expected"),
    [
        pytest.param(2, 1.0, 0.0, [0, 0, 0], [True, True, False], id="burst-then-empty"),
        pytest.param(2, 1.0, 0.0, [0, 0, 1], [True, True, True], id="refills-one-a-second"),
        pytest.param(1, 0.5, 0.0, [0, 1, 2], [True, False, True], id="slow-rate"),
        pytest.param(3, 10.0, 0.0, [0, 100, 100, 100, 100], [1, 1, 1, 1, 0], id="capped"),
    ],
)
def test_try_take(
    capacity: float, rate: float, floor: float, takes_at: list[float], expected: list[bool]
) -> None:
    bucket = TokenBucket.full(capacity, rate, now=0.0, floor=floor)
    assert [bucket.try_take(t) for t in takes_at] == [bool(e) for e in expected]


@pytest.mark.parametrize(
    ("cost", "tokens", "wait"),
    [
        pytest.param(1, 1.0, 0.0, id="there"),
        pytest.param(1, 0.5, 0.5, id="half-missing"),
        pytest.param(1, -1.0, 2.0, id="in-debt"),
        pytest.param(3, 1.0, 2.0, id="cost-three"),
    ],
)
def test_seconds_until_available(cost: float, tokens: float, wait: float) -> None:
    bucket = TokenBucket(capacity=5, rate=1.0, tokens=tokens, updated=0.0)
    assert bucket.seconds_until_available(0.0, cost) == wait


def test_debt_down_to_the_floor() -> None:
    bucket = TokenBucket.full(1, 1.0, now=0.0, floor=-1)
    for _ in range(5):
        bucket.take(0.0)
    assert bucket.tokens == -1
    assert not bucket.available(1.0) and bucket.available(2.0)


def test_reservations_space_slots_and_can_be_given_back() -> None:
    bucket = TokenBucket.full(1, 0.5, now=100.0, floor=-math.inf)
    assert [bucket.reserve(100.0) for _ in range(3)] == [0.0, 2.0, 4.0]
    bucket.give_back()
    assert bucket.reserve(100.0) == 4.0
    assert bucket.reserve(110.0) == 0.0  # idle long enough: the debt is paid


def test_block_for_keeps_everything_back() -> None:
    bucket = TokenBucket.full(10, 10.0, now=0.0)
    bucket.block_for(2.0, now=0.0)
    assert not bucket.available(2.0)
    assert bucket.seconds_until_available(2.0) == pytest.approx(0.1)


def test_keyed_buckets_are_independent_and_pruned_when_full() -> None:
    table = KeyedBuckets(1, 1.0)
    assert table.try_take("a", 0.0) and not table.try_take("a", 0.0)
    assert table.try_take("b", 0.0)
    assert table.get("c") is None and len(table) == 2
    assert table.prune(0.5) == 0
    assert table.prune(1.0, keep={"a"}) == 1
    assert list(table) == ["a"]


def test_keyed_buckets_start_over_past_max_keys() -> None:
    table = KeyedBuckets(1, 0.0, max_keys=2)
    assert table.try_take("a", 0.0) and table.try_take("b", 0.0)
    assert table.try_take("c", 0.0)  # the table started over
    assert len(table) == 1 and table.try_take("a", 0.0)
