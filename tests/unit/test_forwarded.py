"""The client address and scheme behind trusted proxies, and spoofing from untrusted peers."""

import ipaddress

import pytest
from hypothesis import given, settings, strategies as st

from txsockjs.protocol.forwarded import ProxyPolicy

PROXIES = ProxyPolicy(["10.0.0.0/8", "192.0.2.1", "2001:db8:feed::/48", "unix"])

SPOOFED = [
    {"x-forwarded-for": "1.2.3.4"},
    {"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https"},
    {"forwarded": "for=1.2.3.4;proto=https"},
    {"forwarded": 'for="[2001:db8::1]:80"', "x-forwarded-for": "garbage"},
]


@pytest.mark.parametrize("headers", SPOOFED)
@pytest.mark.parametrize("policy", [ProxyPolicy([]), ProxyPolicy(None), PROXIES])
def test_spoofed_headers_from_an_untrusted_peer_change_nothing(policy, headers):
    assert policy.client("203.0.113.9", headers, False) == ("203.0.113.9", False)
    assert policy.client("203.0.113.9", headers, True) == ("203.0.113.9", True)


@pytest.mark.parametrize("headers", SPOOFED)
def test_unix_peer_untrusted_unless_listed(headers):
    assert ProxyPolicy(["10.0.0.1"]).client(None, headers, False) == ("unix", False)
    assert PROXIES.client(None, {"x-forwarded-for": "1.2.3.4"}, False) == ("1.2.3.4", False)


def test_trusts():
    assert PROXIES.trusts("10.1.2.3")
    assert PROXIES.trusts("192.0.2.1")
    assert not PROXIES.trusts("192.0.2.2")
    assert PROXIES.trusts("::ffff:10.1.2.3")
    assert PROXIES.trusts("2001:db8:feed:1::5")
    assert PROXIES.trusts("2001:DB8:FEED::1")
    assert not PROXIES.trusts("2001:db8:fee0::1")
    assert PROXIES.trusts(None)
    assert not ProxyPolicy([]).trusts(None)
    assert not PROXIES.trusts("garbage")
    assert not PROXIES.trusts("")
    assert not PROXIES.trusts("10.0.0.1%eth0")


def test_mapped_network_entry_covers_plain_ipv4():
    policy = ProxyPolicy(["::ffff:192.168.0.0/112"])
    assert policy.trusts("192.168.7.7")
    assert policy.trusts("::ffff:192.168.7.7")
    assert not policy.trusts("192.169.0.1")


@pytest.mark.parametrize("xff, client", [
    ("1.2.3.4", "1.2.3.4"),
    ("1.2.3.4, 10.0.0.2", "1.2.3.4"),
    ("6.6.6.6, 1.2.3.4, 10.0.0.2, 192.0.2.1", "1.2.3.4"),  # the client cannot choose past its own hop
    ("1.2.3.4,10.0.0.2", "1.2.3.4"),
    ("  1.2.3.4 \t", "1.2.3.4"),
    ("10.0.0.3, 10.0.0.2", "10.0.0.3"),  # every hop trusted: the leftmost
    ("::ffff:1.2.3.4", "1.2.3.4"),
    ("2001:0db8:0000::0001", "2001:db8::1"),
    ("[2001:db8::1]:4711", "2001:db8::1"),
    ("1.2.3.4:5678", "1.2.3.4"),
    ("2001:db8:feed::9, 10.0.0.2", "2001:db8:feed::9"),  # trusted IPv6 proxy, leftmost
    ("garbage, 10.0.0.2", "10.0.0.2"),  # garbage stops the walk at the last valid hop
    ("1.2.3.4, garbage, 10.0.0.2", "10.0.0.2"),
    ("1.2.3.4, unknown", "10.0.0.1"),  # no valid hop at all: the peer
    ("1.2.3.4, _hidden", "10.0.0.1"),
    ("1.2.3.4, fe80::1%eth0", "10.0.0.1"),
    ("1.2.3.4, ", "10.0.0.1"),  # an empty rightmost hop is not skipped into the client's claims
    ("", "10.0.0.1"),
    (",,,", "10.0.0.1"),
    ("[1.2.3.4]", "10.0.0.1"),
    ("1.2.3.4:port", "10.0.0.1"),
    ("[2001:db8::1]x", "10.0.0.1"),
    ("[2001:db8::1", "10.0.0.1"),
    ("300.1.1.1", "10.0.0.1"),
])
def test_x_forwarded_for(xff, client):
    assert PROXIES.client("10.0.0.1", {"x-forwarded-for": xff}, False) == (client, False)


@pytest.mark.parametrize("forwarded, client", [
    ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
    ('for="_gazonk"', "10.0.0.1"),
    ('For="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
    ('for="192.0.2.43:47011"', "192.0.2.43"),
    ("for=192.0.2.43, for=198.51.100.17", "198.51.100.17"),
    ("for=198.51.100.17, for=10.0.0.9", "198.51.100.17"),
    ("for=198.51.100.17;by=10.0.0.1, for=10.0.0.9;proto=https", "198.51.100.17"),
    ('for=unknown, for="[::ffff:10.2.2.2]"', "10.2.2.2"),
    ('for="1.2.3.4, 10.0.0.9"', "10.0.0.1"),  # one quoted value is one hop, and not an IP
    ('for="1.2.3.4', "10.0.0.1"),  # unbalanced quote
    ("for=1.2.3.4;for=5.6.7.8", "10.0.0.1"),  # a repeated parameter spoils the element
    ("for=1.2.3.4;junk", "10.0.0.1"),
    ("for=1.2.3.4=5", "10.0.0.1"),
    ("proto=https", "10.0.0.1"),  # an element without for
    ("for=1.2.3.4, proto=https", "10.0.0.1"),
    ("for=1.2.3.4,, ,", "1.2.3.4"),  # blank elements are dropped, as the list rule says
    ('for=1.2.3.4 ; proto = https', "1.2.3.4"),
    ('for="\\1.2.3.4"', "1.2.3.4"),  # quoted-pair unescaped
    ('for=2001:db8::1', "2001:db8::1"),
    ("", "10.0.0.1"),
])
def test_forwarded(forwarded, client):
    assert PROXIES.client("10.0.0.1", {"forwarded": forwarded}, False)[0] == client


def test_x_forwarded_for_wins_over_forwarded():
    headers = {"x-forwarded-for": "1.2.3.4", "forwarded": "for=5.6.7.8"}
    assert PROXIES.client("10.0.0.1", headers, False) == ("1.2.3.4", False)


def test_chain_of_trusted_proxies_over_ipv6():
    headers = {"x-forwarded-for": "2001:db8::77, 10.0.0.5, 2001:db8:feed::1"}
    assert PROXIES.client("::ffff:10.0.0.1", headers, False) == ("2001:db8::77", False)


def test_peer_normalised():
    assert ProxyPolicy([]).client("::ffff:1.2.3.4", {}, False) == ("1.2.3.4", False)
    assert ProxyPolicy([]).client("2001:DB8:0::1", {}, False) == ("2001:db8::1", False)
    assert PROXIES.client("10.0.0.1", {}, False) == ("10.0.0.1", False)
    assert PROXIES.client(None, {}, False) == ("unix", False)


@pytest.mark.parametrize("headers, secure", [
    ({"x-forwarded-proto": "https"}, True),
    ({"x-forwarded-proto": "HTTPS"}, True),
    ({"x-forwarded-proto": " https "}, True),
    ({"x-forwarded-proto": "http"}, False),
    ({"x-forwarded-proto": "http, https"}, True),  # the nearest proxy's word is the rightmost
    ({"x-forwarded-proto": "https, http"}, False),
    ({"x-forwarded-proto": "https, "}, False),
    ({"x-forwarded-proto": ""}, False),
    ({"x-forwarded-proto": "httpsx"}, False),
    ({"forwarded": "for=1.2.3.4;proto=https"}, True),
    ({"forwarded": 'for=1.2.3.4;Proto="HTTPS"'}, True),
    ({"forwarded": "for=1.2.3.4;proto=https, for=10.0.0.2;proto=http"}, False),
    ({"forwarded": "for=1.2.3.4;proto=http, for=10.0.0.2;proto=https"}, True),
    ({"forwarded": "for=1.2.3.4;proto=http, for=10.0.0.2"}, False),
    ({"forwarded": 'proto="https'}, False),
    ({"forwarded": "proto=https;proto=https"}, False),
    ({"x-forwarded-proto": "http", "forwarded": "proto=https"}, False),  # X-Forwarded-* wins
    ({"x-forwarded-for": "1.2.3.4", "forwarded": "proto=https"}, True),
    ({}, False),
])
def test_secure_from_trusted_proxy(headers, secure):
    assert PROXIES.client("10.0.0.1", headers, False)[1] is secure
    assert PROXIES.client("10.0.0.1", headers, True)[1] is True
    assert PROXIES.client("203.0.113.1", headers, False)[1] is False


@pytest.mark.parametrize("entry, why", [
    ("10.0.0.1/8", "host bits"),
    ("10.0.0.300", "not an IP address or network"),
    ("example.com", "not an IP address or network"),
    ("fe80::1%eth0", "zone"),
    ("", "not an IP address or network"),
    ("UNIX", "not an IP address or network"),
    (None, "not a str"),
    (167772161, "not a str"),
])
def test_bad_entry(entry, why):
    with pytest.raises(ValueError) as caught:
        ProxyPolicy(["127.0.0.1", entry])
    assert why in str(caught.value)
    assert repr(entry) in str(caught.value)


@pytest.mark.parametrize("trusted", ["10.0.0.1", b"10.0.0.1", 42])
def test_not_a_list(trusted):
    with pytest.raises(ValueError) as caught:
        ProxyPolicy(trusted)
    assert repr(trusted) in str(caught.value)


def test_repr():
    assert repr(ProxyPolicy(("10.0.0.0/8", "unix"))) == "ProxyPolicy(['10.0.0.0/8', 'unix'])"


HEADER_PIECES = st.sampled_from([
    "for=", "For=", "proto=", "https", ";", ",", ", ", "=", '"', "\\", "[", "]", ":", "_x", "unknown",
    "1.2.3.4", "10.0.0.2", "2001:db8::1", "::ffff:1.2.3.4", "%eth0", " ", "\t", "\x00", "é",
])
header_values = st.lists(HEADER_PIECES, max_size=30).map("".join) | st.text(max_size=60)
header_maps = st.dictionaries(
    st.sampled_from(["x-forwarded-for", "forwarded", "x-forwarded-proto"]), header_values)
peers = st.sampled_from(["10.0.0.1", "::ffff:10.0.0.1", "192.0.2.1", "2001:db8:feed::2", None])


@settings(max_examples=1000, deadline=None)
@given(peers, header_maps, st.booleans())
def test_no_header_makes_a_trusted_peer_raise_or_return_garbage(peer, headers, tls):
    client, secure = PROXIES.client(peer, headers, tls)
    assert client == "unix" or str(ipaddress.ip_address(client)) == client
    assert secure is True or secure is False
    assert not tls or secure


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["203.0.113.9", "2001:db8::9", "10.0.0.1"]), header_maps, st.booleans())
def test_an_untrusted_peer_is_always_the_client(peer, headers, tls):
    policy = ProxyPolicy(["192.0.2.0/24"])
    assert policy.client(peer, headers, tls) == (peer, tls)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 5000))
def test_huge_lists(count):
    headers = {"x-forwarded-for": ", ".join(["10.0.0.7"] * count),
               "forwarded": ", ".join(["for=10.0.0.7"] * count)}
    expected = "10.0.0.7" if count else "10.0.0.1"
    assert PROXIES.client("10.0.0.1", headers, False) == (expected, False)
    del headers["x-forwarded-for"]
    assert PROXIES.client("10.0.0.1", headers, False) == (expected, False)
