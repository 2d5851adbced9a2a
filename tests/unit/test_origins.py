"""Origin parsing and the allowed-origins policy, including the tricks attackers use."""

import pytest
from hypothesis import given, settings, strategies as st

from txsockjs.protocol.origins import OriginPolicy, parse_origin


@pytest.mark.parametrize("value, expected", [
    ("https://example.com", ("https", "example.com", 443)),
    ("http://example.com", ("http", "example.com", 80)),
    ("wss://example.com", ("wss", "example.com", 443)),
    ("ws://example.com:8080", ("ws", "example.com", 8080)),
    ("HTTPS://Example.COM:443", ("https", "example.com", 443)),
    ("http://127.0.0.1:8000", ("http", "127.0.0.1", 8000)),
    ("http://[::1]:8080", ("http", "[::1]", 8080)),
    ("http://[0:0:0:0:0:0:0:1]", ("http", "[::1]", 80)),
    ("http://[2001:DB8::1]", ("http", "[2001:db8::1]", 80)),
    ("chrome-extension://abcdef", ("chrome-extension", "abcdef", None)),
    ("foo://host:0", ("foo", "host", 0)),
    ("http://host:65535", ("http", "host", 65535)),
    ("http://example.com.", ("http", "example.com.", 80)),
    ("http://my_host.example", ("http", "my_host.example", 80)),
])
def test_parse_origin(value, expected):
    assert parse_origin(value) == expected


@pytest.mark.parametrize("value", [
    None, b"https://example.com", "", "null", "example.com", "https://", "https:/example.com",
    "https://example.com/", "https://example.com/path", "https://example.com?x", "https://example.com#f",
    "https://example.com:", "https://example.com:99999", "https://example.com:-1", "https://example.com:8a",
    "https://example.com:123456", "https://example.com:80:80", "https://user@example.com",
    "https://user:pw@example.com", "https://a.com, https://b.com", "https://a.com,https://b.com",
    " https://example.com", "https://example.com ", "https://exa mple.com", "https://example.com\t",
    "https://example..com", "https://.example.com", "https://*.example.com", "https://ex*.com",
    "https://[::1", "https://[::1]x", "https://[]", "https://[nothex]", "https://[fe80::1%25eth0]",
    "https://bücher.example", "1https://example.com", "https://example.com\\", "https://exa\x00mple.com",
])
def test_parse_origin_refuses(value):
    assert parse_origin(value) is None


def test_unrestricted_allows_everything():
    policy = OriginPolicy(None)
    assert not policy.restricted
    for origin in (None, "null", "https://evil.example", "garbage", ""):
        assert policy.allows(origin)
    assert repr(policy) == "OriginPolicy(None)"


EXACT = OriginPolicy(["https://example.com"])


@pytest.mark.parametrize("origin, allowed", [
    ("https://example.com", True),
    ("https://example.com:443", True),
    ("HTTPS://EXAMPLE.COM", True),
    ("https://Example.Com:443", True),
    ("http://example.com", False),
    ("https://example.com:8443", False),
    ("https://example.com.evil.com", False),
    ("https://evilexample.com", False),
    ("https://a.example.com", False),
    ("https://example.com.", False),
    ("https://example.com/", False),
    ("https://example.com:", False),
    ("https://example.com:99999", False),
    ("https://user@example.com", False),
    ("https://example.com, https://example.com", False),
    ("https://evil.example, https://example.com", False),
    (None, False),
    ("null", False),
    ("", False),
])
def test_exact_origin(origin, allowed):
    assert EXACT.restricted
    assert EXACT.allows(origin) is allowed


def test_default_port_written_in_the_pattern():
    policy = OriginPolicy(["https://example.com:443", "http://example.com:8080"])
    assert policy.allows("https://example.com")
    assert policy.allows("http://example.com:8080")
    assert not policy.allows("http://example.com")


WILDCARD = OriginPolicy(["https://*.example.com"])


@pytest.mark.parametrize("origin, allowed", [
    ("https://a.example.com", True),
    ("https://a.b.example.com", True),
    ("https://A.EXAMPLE.COM:443", True),
    ("https://example.com", False),
    ("https://evilexample.com", False),
    ("https://a.evilexample.com", False),
    ("https://example.com.evil.com", False),
    ("https://a.example.com.evil.com", False),
    ("https://.example.com", False),
    ("https://a.example.com.", False),
    ("http://a.example.com", False),
    ("https://a.example.com:8443", False),
    ("https://*.example.com", False),
])
def test_wildcard_origin(origin, allowed):
    assert WILDCARD.allows(origin) is allowed


def test_wildcard_with_any_port():
    policy = OriginPolicy(["https://*.example.com:*"])
    assert policy.allows("https://a.example.com:8443")
    assert policy.allows("https://a.example.com")
    assert not policy.allows("https://example.com:8443")


ANY_PORT = OriginPolicy(["http://localhost:*"])


@pytest.mark.parametrize("origin, allowed", [
    ("http://localhost", True),
    ("http://localhost:80", True),
    ("http://localhost:3000", True),
    ("http://LOCALHOST:65535", True),
    ("https://localhost:3000", False),
    ("http://localhost:", False),
    ("http://localhost:70000", False),
    ("http://localhost.evil.com:3000", False),
    ("http://evil-localhost:3000", False),
])
def test_any_port(origin, allowed):
    assert ANY_PORT.allows(origin) is allowed


def test_null_only_when_listed():
    assert OriginPolicy(["null"]).allows("null")
    assert not OriginPolicy(["null"]).allows("https://example.com")
    assert not OriginPolicy(["https://example.com"]).allows("null")
    assert not OriginPolicy(["null"]).allows("NULL")
    assert not OriginPolicy(["null"]).allows(None)


def test_ipv6_origin():
    policy = OriginPolicy(["http://[::1]:8080"])
    assert policy.allows("http://[::1]:8080")
    assert policy.allows("http://[0::1]:8080")
    assert not policy.allows("http://[::1]")
    assert not policy.allows("http://[::2]:8080")


def test_other_schemes():
    policy = OriginPolicy(["chrome-extension://abcdef", "wss://example.com"])
    assert policy.allows("chrome-extension://abcdef")
    assert not policy.allows("chrome-extension://abcdeg")
    assert policy.allows("wss://example.com:443")
    assert not policy.allows("https://example.com")


def test_empty_list_refuses_everyone():
    policy = OriginPolicy([])
    assert policy.restricted
    assert not policy.allows("https://example.com")
    assert not policy.allows(None)


def test_patterns_from_any_iterable_and_repr():
    policy = OriginPolicy(p for p in ("https://example.com", "null"))
    assert policy.allows("https://example.com") and policy.allows("null")
    assert repr(policy) == "OriginPolicy(['https://example.com', 'null'])"


@pytest.mark.parametrize("pattern, why", [
    ("https://example.com/", "path"),
    ("https://example.com/app", "path"),
    ("https://user@example.com", "userinfo"),
    ("https://ex*.com", "wildcard"),
    ("https://*", "wildcard"),
    ("https://*example.com", "wildcard"),
    ("https://a.*.example.com", "wildcard"),
    ("https://*.*.example.com", "wildcard"),
    ("https://*.[::1]", "wildcard"),
    ("https://*.0.0.1", "domain name"),
    ("*", "form"),
    ("example.com", "form"),
    ("", "form"),
    ("https://example.com:99999", "port"),
    ("https://example.com:", "port"),
    ("https://example.com:8*", "port"),
    ("https://example..com", "host"),
    ("https://[::1", "host"),
    (42, "not a str"),
    (None, "not a str"),
])
def test_bad_pattern(pattern, why):
    with pytest.raises(ValueError) as caught:
        OriginPolicy(["https://fine.example", pattern])
    assert why in str(caught.value)
    assert repr(pattern) in str(caught.value)


@pytest.mark.parametrize("allowed", ["https://example.com", b"https://example.com", 42])
def test_not_a_list(allowed):
    with pytest.raises(ValueError) as caught:
        OriginPolicy(allowed)
    assert repr(allowed) in str(caught.value)


ORIGIN_CHARS = st.sampled_from(list("abcXYZ019.-_:/[]*@?#%,; \t\x00é") + ["https://", "http://", "null",
                                                                           "example.com", "::1", ":443"])
origin_texts = st.lists(ORIGIN_CHARS, max_size=12).map("".join) | st.text(max_size=40)


@settings(max_examples=500, deadline=None)
@given(origin_texts)
def test_no_origin_makes_parsing_or_matching_raise(origin):
    parsed = parse_origin(origin)
    assert parsed is None or (parsed[0].islower() and parsed[1] == parsed[1].lower())
    for policy in (EXACT, WILDCARD, ANY_PORT, OriginPolicy(["null"])):
        assert policy.allows(origin) in (True, False)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,3}", fullmatch=True))
def test_wildcard_matches_only_proper_subdomains(host):
    allowed = WILDCARD.allows("https://%s" % host)
    assert allowed == host.endswith(".example.com")
    assert WILDCARD.allows("https://%s.example.com" % host)
    assert not WILDCARD.allows("https://example.com.%s" % host)


@settings(max_examples=300, deadline=None)
@given(origin_texts)
def test_patterns_either_load_or_raise_value_error(pattern):
    try:
        OriginPolicy([pattern])
    except ValueError as e:
        assert repr(pattern) in str(e)
