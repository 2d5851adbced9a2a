"""Reading Sec-WebSocket-Extensions offers and choosing among them (RFC 6455 section 9)."""

import pytest
from hypothesis import given, strategies as st

from txsockjs._speedups.constants import RSV1, RSV2
from txsockjs.protocol.wsextensions import MAX_HEADER, negotiate, parse_offers

from tests.unit.toyextension import ToyFactory


@pytest.mark.parametrize("header, offers", [
    ("permessage-deflate", [("permessage-deflate", [])]),
    ("permessage-deflate; client_max_window_bits; server_max_window_bits=10",
     [("permessage-deflate", [("client_max_window_bits", None), ("server_max_window_bits", "10")])]),
    (' a ;\tb = 1 ,  c ; d="2" ', [("a", [("b", "1")]), ("c", [("d", "2")])]),
    ('a; b="1\\0"', [("a", [("b", "10")])]),  # a quoted-pair is its character
    ("X-Toy; Repeat=AbC", [("x-toy", [("repeat", "AbC")])]),  # names lower-case, values kept
    ("", []),
    (",", []),
    (" , ,a,, b ,", [("a", []), ("b", [])]),  # empty list elements (RFC 7230 section 7)
    ("a; b=1; b=2", [("a", [("b", "1"), ("b", "2")])]),  # (a factory judges repeats)
])
def test_offers(header, offers):
    assert parse_offers(header) == offers


@pytest.mark.parametrize("header", [
    "a b", "a;", "a; ", "a;;b", "a; =1", "a; b=", "a; b=1 2", "=a", "a,;", ";a", "a=1",
    'a; b=""', 'a; b="1 2"', 'a; b="1', 'a; b="1\\', 'a; b="x"y', "é", "a; b=é", "a\x00",
    "a\r\n b", "a; b=1,\"",
])
def test_bad_syntax_is_refused(header):
    with pytest.raises(ValueError):
        parse_offers(header)


def test_a_long_header_is_refused_before_it_is_parsed():
    assert len(parse_offers("a," * (MAX_HEADER // 2))) == MAX_HEADER // 2
    with pytest.raises(ValueError, match="too long"):
        parse_offers("a," * (MAX_HEADER // 2) + "b")


# Any text at all: offers, or ValueError, and nothing else.
@given(st.text(alphabet=st.sampled_from(list('ab1-=;,"\\ \t\x00é')) | st.characters(),
               max_size=60))
def test_any_header_parses_or_raises_value_error(header):
    try:
        offers = parse_offers(header)
    except ValueError:
        return
    for name, params in offers:
        assert name and name == name.lower()
        assert all(param and (value is None or value) for param, value in params)


# Offers rendered by the grammar parse back to what was rendered.
TOKENS = st.text(alphabet="abcXYZ019-_.!~", min_size=1, max_size=6)
VALUES = st.none() | TOKENS


@given(st.lists(st.tuples(TOKENS, st.lists(st.tuples(TOKENS, VALUES, st.booleans()), max_size=3)),
                max_size=4))
def test_rendered_offers_parse_back(offers):
    header = ", ".join(
        name + "".join("; " + param + ("" if value is None else '="%s"' % value if quote else "=" + value)
                       for param, value, quote in params)
        for name, params in offers)
    assert parse_offers(header) == [
        (name.lower(), [(param.lower(), value) for param, value, _ in params])
        for name, params in offers]


# -- negotiate ----------------------------------------------------------------------------

def chosen(header, *factories):
    extensions, answer = negotiate(header, factories)
    return [(extension.name, extension.repeat) for extension in extensions], answer


@pytest.mark.parametrize("header", [None, "", "x-toy; repeat=1, bad header", "x-toy; repeat=1;"])
def test_no_header_or_bad_syntax_declines_everything(header):
    assert chosen(header, ToyFactory()) == ([], None)


def test_no_factories():
    assert negotiate("x-toy; repeat=1", []) == ([], None)


def test_unknown_and_unacceptable_offers_are_skipped():
    assert chosen("x-other; repeat=1, x-toy, x-toy; repeat=2", ToyFactory()) == (
        [("x-toy", 2)], "x-toy; repeat=2")


def test_the_first_acceptable_offer_of_a_name_wins():
    assert chosen("x-toy; repeat=1, x-toy; repeat=2", ToyFactory()) == (
        [("x-toy", 1)], "x-toy; repeat=1")


def test_several_extensions_in_the_clients_order():
    first, second = ToyFactory("x-a", RSV1), ToyFactory("x-b", RSV2)
    assert chosen("x-b; repeat=2, x-a; repeat=1", first, second) == (
        [("x-b", 2), ("x-a", 1)], "x-b; repeat=2, x-a; repeat=1")


def test_an_extension_whose_bits_are_taken_is_declined():
    first, second = ToyFactory("x-a", RSV1), ToyFactory("x-b", RSV1)
    assert chosen("x-b; repeat=2, x-a; repeat=1", first, second) == (
        [("x-b", 2)], "x-b; repeat=2")
