"""Property tests: tracking ID check digit and parsing; HMAC signature verification."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters import signing
from normalizer import tracking

FAST = settings(max_examples=300, deadline=None)
data_digits = st.from_regex(r"[0-9]{11}", fullmatch=True)


def _with_check(data: str) -> str:
    return data + tracking.check_digit(data)


# -- tracking IDs -------------------------------------------------------------------------


@FAST
@given(data_digits, st.integers(0, 11), st.integers(1, 9))
def test_every_single_digit_typo_is_caught(data: str, pos: int, delta: int) -> None:
    tid = _with_check(data)
    assert tracking.is_valid(tid)
    typo = tid[:pos] + str((int(tid[pos]) + delta) % 10) + tid[pos + 1 :]
    assert not tracking.is_valid(typo)


@FAST
@given(data_digits, st.integers(0, 10))
def test_every_adjacent_swap_is_caught(data: str, pos: int) -> None:
    tid = _with_check(data)
    swapped = tid[:pos] + tid[pos + 1] + tid[pos] + tid[pos + 2 :]
    if swapped != tid:
        assert not tracking.is_valid(swapped)


@FAST
@given(data_digits, st.lists(st.sampled_from([" ", "-", "  ", "#", "."]), min_size=12, max_size=12))
def test_parse_tolerates_separators(data: str, seps: list[str]) -> None:
    tid = _with_check(data)
    typed = "".join(s + c for s, c in zip(seps, tid, strict=True))
    assert tracking.parse(typed) == tid
    assert tracking.parse(tracking.display(tid)) == tid


@FAST
@given(st.text(max_size=40))
@example("٠" * 12)  # Arabic-Indic digits: isdigit() but not 0-9
@example("²" * 12)
@example("１２３４５６７８９０１２")  # full-width digits
def test_parse_rejects_anything_else_with_its_own_error(raw: str) -> None:
    try:
        tid = tracking.parse(raw)
    except tracking.InvalidTrackingIdError as exc:
        assert exc.problem in set(tracking.TrackingIdProblem)
        return
    assert len(tid) == tracking.LENGTH and tid.isascii() and tracking.is_valid(tid)


def test_new_ids_are_valid_and_distinct() -> None:
    ids = {tracking.new_tracking_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(tracking.is_valid(t) and tracking.parse(t) == t for t in ids)


# -- signatures ---------------------------------------------------------------------------

secrets_ = st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=2000)
NOW = 1_750_000_000


@FAST
@given(secrets_, bodies, st.integers(-300, 300))
def test_signed_request_verifies_within_the_window(secret: bytes, body: bytes, skew: int) -> None:
    headers = signing.signed_headers(secret, body, now=NOW + skew)
    signing.verify(secret, headers, body, now=NOW)


@FAST
@given(secrets_, bodies, st.binary(min_size=1, max_size=8), st.integers(0, 2000))
def test_any_change_to_the_body_is_refused(
    secret: bytes, body: bytes, insert: bytes, at: int
) -> None:
    headers = signing.signed_headers(secret, body, now=NOW)
    at = min(at, len(body))
    tampered = body[:at] + insert + body[at:]
    try:
        signing.verify(secret, headers, tampered, now=NOW)
    except signing.SignatureError:
        return
    raise AssertionError("a tampered body passed")


@FAST
@given(secrets_, secrets_, bodies)
@example(b"\0", b"\0\0", b"")
def test_another_secret_is_refused(secret: bytes, other: bytes, body: bytes) -> None:
    # HMAC zero-pads keys to the block size, so b"\0" and b"\0\0" are the same key
    if other.rstrip(b"\0") == secret.rstrip(b"\0"):
        return
    headers = signing.signed_headers(other, body, now=NOW)
    try:
        signing.verify(secret, headers, body, now=NOW)
    except signing.SignatureError:
        return
    raise AssertionError("a foreign signature passed")


@FAST
@given(secrets_, bodies, st.integers(301, 10**9), st.booleans())
def test_stale_or_future_timestamps_are_refused(
    secret: bytes, body: bytes, skew: int, future: bool
) -> None:
    headers = signing.signed_headers(secret, body, now=NOW + (skew if future else -skew))
    try:
        signing.verify(secret, headers, body, now=NOW)
    except signing.SignatureError:
        return
    raise AssertionError("a stale signature passed")


@FAST
@given(
    st.dictionaries(
        st.sampled_from([signing.TIMESTAMP_HEADER, signing.SIGNATURE_HEADER, "X-Other"]),
        st.text(max_size=80),
    ),
    bodies,
)
def test_hostile_headers_raise_only_signature_error(headers: dict[str, str], body: bytes) -> None:
    try:
        signing.verify(b"k", headers, body, now=NOW)
    except signing.SignatureError:
        return
    # passing needs a valid MAC, which random text does not have
    ts = headers[signing.TIMESTAMP_HEADER].strip()
    mac = hmac.new(b"k", ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers[signing.SIGNATURE_HEADER].strip() == "sha256=" + mac
