"""Cookies, query strings and the read-only header view an application sees."""

import ast
import importlib
from collections.abc import Mapping

import pytest
from hypothesis import given, settings, strategies as st

from txsockjs.protocol.headers import HeaderView, parse_cookies, parse_query


@pytest.mark.parametrize("value, cookies", [
    ("a=1", {"a": "1"}),
    ("a=1; b=2", {"a": "1", "b": "2"}),
    ("a=1;b=2", {"a": "1", "b": "2"}),
    (" \ta = 1 \t;  b=2 ", {"a": "1", "b": "2"}),
    ("a=1; a=2", {"a": "1"}),  # the first (most specific) wins
    ("JSESSIONID=abc; other=x; JSESSIONID=def", {"JSESSIONID": "abc", "other": "x"}),
    ('a="quoted value"', {"a": "quoted value"}),
    ('a=""', {"a": ""}),
    ('a="', {"a": '"'}),
    ('a="x', {"a": '"x'}),
    ("a=", {"a": ""}),
    ("a=b=c", {"a": "b=c"}),
    ("a=%41", {"a": "%41"}),  # no percent-decoding
    ("a=x, b=y", {"a": "x, b=y"}),  # "," is not a separator: values may hold one
    ("novalue; a=1", {"a": "1"}),
    ("=x; a=1", {"a": "1"}),
    ("  =x", {}),
    (";;; ;", {}),
    ("", {}),
    (None, {}),
    (42, {}),
    (b"a=1; b=\xe9", {"a": "1", "b": "\xe9"}),
])
def test_parse_cookies(value, cookies):
    assert parse_cookies(value) == cookies


@pytest.mark.parametrize("query, parsed", [
    ("", {}),
    ("a=1", {"a": ("1",)}),
    ("a=1&b=2&a=3", {"a": ("1", "3"), "b": ("2",)}),
    ("token=abc%20def+ghi", {"token": ("abc def ghi",)}),
    ("a", {"a": ("",)}),
    ("a=&b", {"a": ("",), "b": ("",)}),
    ("a=1;b=2", {"a": ("1;b=2",)}),  # only '&' separates (as Python 3.10 does)
    ("%E2%82%AC=%E2%82%AC", {"\u20ac": ("\u20ac",)}),
    ("a=%FF", {"a": ("\ufffd",)}),
    ("a=%zz", {"a": ("%zz",)}),
    ("&&a=1&&", {"a": ("1",)}),
    (b"t=%C3%A9", {"t": ("\xe9",)}),
    (b"t=\xff", {"t": ("\ufffd",)}),
    (None, {}),
])
def test_parse_query(query, parsed):
    assert parse_query(query) == parsed


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80) | st.binary(max_size=80))
def test_parsers_never_raise(value):
    cookies = parse_cookies(value)
    assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in cookies.items())
    query = parse_query(value)
    assert all(isinstance(v, tuple) and v for v in query.values())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True),
                          st.from_regex(r"[A-Za-z0-9_.-]{0,8}", fullmatch=True)), max_size=8))
def test_cookie_round_trip_first_wins(pairs):
    expected = {}
    for name, value in pairs:
        expected.setdefault(name, value)
    assert parse_cookies("; ".join("%s=%s" % pair for pair in pairs)) == expected


def view():
    return HeaderView({"host": "example.com", "x-token": "abc"})


def test_header_view_is_case_insensitive():
    headers = view()
    assert isinstance(headers, Mapping)
    assert headers["host"] == headers["Host"] == headers["HOST"] == "example.com"
    assert headers.get("X-Token") == "abc"
    assert headers.get("missing") is None
    assert headers.get("Missing", "d") == "d"
    assert "X-TOKEN" in headers and "x-token" in headers
    assert "missing" not in headers
    assert 42 not in headers and None not in headers
    with pytest.raises(KeyError):
        headers["missing"]
    with pytest.raises(KeyError):
        headers[b"host"]


def test_header_view_iterates_lower_case():
    headers = HeaderView({"Host": "example.com", "x-token": "abc"})
    assert sorted(headers) == ["host", "x-token"]
    assert len(headers) == 2
    assert dict(headers) == {"host": "example.com", "x-token": "abc"}
    assert headers == {"host": "example.com", "x-token": "abc"}
    assert repr(headers) == "HeaderView({'host': 'example.com', 'x-token': 'abc'})"


def test_header_view_is_read_only_and_detached():
    source = {"host": "example.com"}
    headers = HeaderView(source)
    source["host"] = "evil.example"
    source["x-new"] = "1"
    assert headers["host"] == "example.com" and "x-new" not in headers
    with pytest.raises(TypeError):
        headers["host"] = "other"
    with pytest.raises(TypeError):
        del headers["host"]
    with pytest.raises(AttributeError):
        headers.update({"a": "b"})
    with pytest.raises(AttributeError):
        headers.extra = 1


@pytest.mark.parametrize("module", ["headers", "origins", "forwarded"])
def test_pure_modules_import_no_twisted(module):
    # These run in the pure core, which a twisted.web front door also reuses.
    source = importlib.import_module("txsockjs.protocol." + module).__file__
    with open(source) as f:
        tree = ast.parse(f.read())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and not [name for name in imported if name.split(".")[0] == "twisted"]
