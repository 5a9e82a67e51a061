"""Token buckets, sender/channel flood control and global back-pressure (fake clock)."""

from __future__ import annotations

import pytest

from gateway.flood import Backpressure, FloodControl, retry_after_for, sender_keys
from gateway.resilience.bucket import TokenBucket
from gateway.sections import FloodSection
from normalizer.report import Channel, ReplyAddress, Report, Reporter


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def sms(phone: str | None = "0812345678", *, reply: str | None = None) -> Report:
    return Report(
        channel=Channel.SMS,
        transport="test",
        text="jalan rusak",
        reporter=Reporter(phone=phone),
        reply_to=ReplyAddress(adapter="sms.smpp", address=reply) if reply else None,
    )


def test_token_bucket_refill_and_cap() -> None:
    b = TokenBucket.full(2, 1.0, now=0.0)
    assert b.available(0.0)
    b.take(0.0)
    b.take(0.0)
    assert not b.available(0.0)
    assert b.seconds_until_available(0.0) == pytest.approx(1.0)
    assert b.available(1.0)
    assert b.is_full(100.0)
    assert b.tokens == 2


def test_token_bucket_debt_floor() -> None:
    b = TokenBucket.full(1, 1.0, now=0.0, floor=-1)
    for _ in range(5):
        b.take(0.0)
    assert b.tokens == -1
    assert b.seconds_until_available(0.0) == pytest.approx(2.0)


def test_sender_burst_then_throttled_then_calms_down() -> None:
    clock = Clock()
    fc = FloodControl(FloodSection(sender_burst=3, sender_per_min=6.0), clock)
    verdicts = [fc.allow(sms()) for _ in range(5)]
    assert verdicts == [True, True, True, False, False]
    assert fc.stats()["throttled_senders"] == 1
    # another citizen is not affected
    assert fc.allow(sms("0819999999"))
    # keep flooding: debt keeps the sender throttled even after one refill interval
    clock.t += 10
    assert not fc.allow(sms())
    # quiet long enough to pay the debt and refill the burst
    clock.t += 60
    assert fc.calmed(sender_keys(sms()))
    assert fc.allow(sms())


def test_channel_bucket_limits_everyone_without_debt() -> None:
    clock = Clock()
    fc = FloodControl(FloodSection(channel_burst=2, channel_per_s=1.0), clock)
    assert fc.allow(sms("0811000001"))
    assert fc.allow(sms("0811000002"))
    verdict = fc.check(["phone:+62811000003"], "sms")
    assert (verdict.allowed, verdict.reason) == (False, "channel")
    assert verdict.retry_after == pytest.approx(1.0)
    clock.t += 1
    assert fc.allow(sms("0811000003"))
    # other channels have their own bucket
    assert fc.check(["phone:+62811000004"], "web").allowed


def test_held_reports_released_once_when_sender_calms() -> None:
    clock = Clock()
    fc = FloodControl(FloodSection(sender_burst=1, sender_per_min=60.0), clock)
    assert fc.allow(sms())
    assert not fc.allow(sms())
    fc.hold("T1", sms())
    assert not fc.allow(sms())
    fc.hold("T2", sms())
    assert fc.due() == []
    assert fc.stats()["held_reports"] == 2
    clock.t += 5
    assert fc.due() == ["T1", "T2"]
    assert fc.due() == []


def test_report_under_two_identities_waits_for_both() -> None:
    clock = Clock()
    fc = FloodControl(FloodSection(sender_burst=3, sender_per_min=60.0), clock)
    both = Report(
        channel=Channel.WEB,
        transport="http",
        text="x",
        reporter=Reporter(phone="0811111111", email="a@b.id"),
    )
    assert sender_keys(both) == ["phone:+62811111111", "email:a@b.id"]
    assert [fc.allow(both) for _ in range(4)] == [True, True, True, False]  # both at -1
    fc.hold("T1", both)
    fc.check(["email:a@b.id"], "web")  # the e-mail identity floods on: deeper in debt (-3)
    fc.check(["email:a@b.id"], "web")
    clock.t += 4.5  # the phone bucket is full again (3), the e-mail one is not (1.5)
    assert fc.calmed(["phone:+62811111111"])
    assert not fc.calmed(["email:a@b.id"])
    assert fc.due() == []
    clock.t += 2
    assert fc.due() == ["T1"]


def test_forget_and_prune() -> None:
    clock = Clock()
    fc = FloodControl(FloodSection(sender_burst=1, sender_per_min=60.0), clock)
    fc.allow(sms())
    fc.allow(sms())
    fc.hold("T1", sms())
    fc.forget(["T1"])
    assert fc.stats()["held_reports"] == 0
    clock.t += 60
    assert fc.prune() == 2  # sender + channel buckets, both full
    assert fc.stats()["tracked_senders"] == 0


@pytest.mark.parametrize(
    ("report", "keys"),
    [
        pytest.param(sms("0812345678"), ["phone:+62812345678"], id="phone"),
        pytest.param(sms(None, reply="+62812"), ["reply:sms.smpp:+62812"], id="reply-address"),
        pytest.param(sms(None), [], id="nothing"),
    ],
)
def test_sender_keys(report: Report, keys: list[str]) -> None:
    assert sender_keys(report) == keys


@pytest.mark.parametrize(
    ("backlog", "store_ok", "expected"),
    [
        pytest.param(0, True, None, id="empty"),
        pytest.param(100, True, None, id="at-limit"),
        pytest.param(101, True, 5.0, id="just-over"),
        pytest.param(300, True, 15.0, id="three-times"),
        pytest.param(10**9, True, 300.0, id="capped"),
        pytest.param(0, False, 30.0, id="store-down"),
    ],
)
def test_retry_after_for(backlog: int, store_ok: bool, expected: float | None) -> None:
    assert retry_after_for(backlog, 100, store_ok) == expected


def test_backpressure_observe() -> None:
    bp = Backpressure(max_backlog=10)
    assert bp.retry_after() is None
    bp.observe(50)
    assert bp.retry_after() == 25.0
    bp.observe(0)
    assert bp.retry_after() is None


def test_report_without_sender_waits_for_its_channel() -> None:
    clock = Clock()
    fc = FloodControl(FloodSection(channel_burst=1, channel_per_s=1.0), clock)
    assert fc.allow(sms(None))
    anonymous = sms(None)
    assert not fc.allow(anonymous)
    fc.hold("T1", anonymous)
    assert fc.due() == []
    assert fc.prune() == 0  # the channel bucket is kept while it has held reports
    clock.t += 1
    assert fc.due() == ["T1"]
