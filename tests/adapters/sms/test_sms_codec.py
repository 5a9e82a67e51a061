"""Table tests for the SMS byte codec (adapters/sms/codec.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sms import codec
from adapters.sms.codec import Alphabet


@pytest.mark.parametrize(
    ("data", "dc", "dc0", "text", "alphabet", "klass", "replaced"),
    [
        pytest.param(b"Hello", 0x00, "gsm0338", "Hello", Alphabet.GSM7, None, 0, id="gsm-ascii"),
        pytest.param(
            b"\x00\x01\x02\x04", 0x00, "gsm0338", "@£$è", Alphabet.GSM7, None, 0, id="gsm-basic"
        ),
        pytest.param(
            b"\x1b\x65 \x1b\x28\x1b\x29",
            0x00,
            "gsm0338",
            "€ {}",
            Alphabet.GSM7,
            None,
            0,
            id="gsm-extension",
        ),
        pytest.param(
            b"\x1b\x41",
            0x00,
            "gsm0338",
            "A",
            Alphabet.GSM7,
            None,
            0,
            id="gsm-unknown-ext-shows-basic",
        ),
        pytest.param(
            b"ab\x1b", 0x00, "gsm0338", "ab\ufffd", Alphabet.GSM7, None, 1, id="gsm-trailing-escape"
        ),
        pytest.param(
            b"a\x80\xffb",
            0x00,
            "gsm0338",
            "a\ufffd\ufffdb",
            Alphabet.GSM7,
            None,
            2,
            id="gsm-invalid-octets",
        ),
        pytest.param(b"caf\xe9", 0x00, "latin1", "café", Alphabet.LATIN1, None, 0, id="dc0-latin1"),
        pytest.param(
            b"abc\xe9", 0x01, "gsm0338", "abc\ufffd", Alphabet.IA5, None, 1, id="ia5-high-byte"
        ),
        pytest.param(b"caf\xe9", 0x03, "gsm0338", "café", Alphabet.LATIN1, None, 0, id="latin1"),
        pytest.param(
            "Jalan rusak".encode("utf-16-be"),
            0x08,
            "gsm0338",
            "Jalan rusak",
            Alphabet.UCS2,
            None,
            0,
            id="ucs2",
        ),
        pytest.param(
            "banjir 🌊😡".encode("utf-16-be"),
            0x08,
            "gsm0338",
            "banjir 🌊😡",
            Alphabet.UCS2,
            None,
            0,
            id="ucs2-surrogates",
        ),
        pytest.param(
            b"\xd8\x3d\x00\x41",
            0x08,
            "gsm0338",
            "\ufffdA",
            Alphabet.UCS2,
            None,
            1,
            id="ucs2-lone-surrogate",
        ),
        pytest.param(
            b"\x00A\x00", 0x08, "gsm0338", "A\ufffd", Alphabet.UCS2, None, 1, id="ucs2-odd-length"
        ),
        pytest.param(
            b"\xff\xfd",
            0x08,
            "gsm0338",
            "\ufffd",
            Alphabet.UCS2,
            None,
            0,
            id="ucs2-real-fffd-not-counted",
        ),
        pytest.param(b"Hi", 0xF0, "gsm0338", "Hi", Alphabet.GSM7, 0, 0, id="f0-class0-flash"),
        pytest.param(b"Hi", 0xF1, "gsm0338", "Hi", Alphabet.GSM7, 1, 0, id="f1-class1"),
        pytest.param(b"Hi", 0xF3, "gsm0338", "Hi", Alphabet.GSM7, 3, 0, id="f3-class3"),
        pytest.param(
            b"\x01\xe9", 0xF6, "gsm0338", "\x01é", Alphabet.BINARY, 2, 0, id="f6-8bit-class2"
        ),
        pytest.param(
            "Ok".encode("utf-16-be"),
            0x18,
            "gsm0338",
            "Ok",
            Alphabet.UCS2,
            0,
            0,
            id="general-group-ucs2-class0",
        ),
        pytest.param(
            b"Ok", 0x11, "gsm0338", "Ok", Alphabet.GSM7, 1, 0, id="general-group-gsm-class1"
        ),
        pytest.param(b"\x00\xff", 0x04, "gsm0338", "\x00ÿ", Alphabet.BINARY, None, 0, id="binary"),
        pytest.param(
            b"\xbf\xe0", 0x06, "gsm0338", "\u041f\u0440", Alphabet.OTHER, None, 0, id="cyrillic"
        ),
        pytest.param(
            b"x", 0x0B, "gsm0338", "x", Alphabet.LATIN1, None, 0, id="reserved-falls-back"
        ),
        pytest.param(b"", 0x00, "gsm0338", "", Alphabet.GSM7, None, 0, id="empty"),
    ],
)
def test_decode(
    data: bytes, dc: int, dc0: str, text: str, alphabet: Alphabet, klass: int | None, replaced: int
) -> None:
    got = codec.decode(data, dc, dc0=dc0)
    assert got.text == text
    assert got.alphabet is alphabet
    assert got.message_class == klass
    assert got.replaced == replaced


@pytest.mark.parametrize(
    ("text", "encoded", "dc"),
    [
        pytest.param("Hello @ 1708", b"Hello \x00 1708", 0x00, id="gsm"),
        pytest.param("{€}", b"\x1b\x28\x1b\x65\x1b\x29", 0x00, id="gsm-extension"),
        pytest.param("Saya 😡", "Saya 😡".encode("utf-16-be"), 0x08, id="ucs2-fallback"),
    ],
)
def test_encode(text: str, encoded: bytes, dc: int) -> None:
    assert codec.encode(text) == (encoded, dc)


@pytest.mark.parametrize(
    ("septets", "fill", "packed"),
    [
        pytest.param(
            codec.encode_gsm7("hellohello"), 0, bytes.fromhex("E8329BFD4697D9EC37"), id="hellohello"
        ),
        pytest.param(codec.encode_gsm7("Test"), 0, bytes.fromhex("D4F29C0E"), id="test"),
        pytest.param(codec.encode_gsm7("A"), 1, b"\x82", id="fill-bit"),
    ],
)
def test_pack_unpack(septets: bytes, fill: int, packed: bytes) -> None:
    assert codec.pack_septets(septets, fill) == packed
    assert codec.unpack_septets(packed, len(septets), fill) == septets


def test_unpack_drops_padding_of_seven_septets() -> None:
    seven = codec.encode_gsm7("1234567")
    assert codec.unpack_septets(codec.pack_septets(seven)) == seven


def test_decode_packed() -> None:
    assert codec.decode(bytes.fromhex("D4F29C0E"), 0, packed=True).text == "Test"


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=255))
def test_decode_never_raises(data: bytes, dc: int) -> None:
    assert isinstance(codec.decode(data, dc).text, str)
    assert isinstance(codec.decode(data, dc, packed=True).text, str)


@given(st.text(alphabet=st.sampled_from(list("@£$abcXYZ 019{}[]€^~\\|ÄÖäö\n")), max_size=200))
def test_gsm_roundtrip(text: str) -> None:
    data, dc = codec.encode(text)
    assert dc == 0
    assert codec.decode(data, dc).text == text
    packed = codec.pack_septets(data)
    assert codec.decode_gsm7(codec.unpack_septets(packed, len(data)))[0] == text
