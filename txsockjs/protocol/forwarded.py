"""Who the client is when it comes through trusted proxies.

Forwarding headers are read only when the TCP peer is a trusted proxy;
from anyone else they are ignored completely, so a spoofed header changes
nothing.  From a trusted peer the hop list is walked from the right (the end
the nearest proxy appended to), skipping hops that are themselves trusted
proxies; the first untrusted hop is the client.  A hop that is not a valid
IP address (garbage, ``unknown``, an obfuscated ``_hidden`` node, an IPv6
zone id) ends the walk at the last valid hop seen: what an attacker wrote is
never returned.

``X-Forwarded-For`` wins over RFC 7239 ``Forwarded`` when a request carries
both, because it is what proxies set by default (nginx ``proxy_add_x_forwarded_for``,
HAProxy ``option forwardfor``, AWS and Google load balancers, Cloudflare,
Traefik); ``Forwarded`` needs extra configuration almost everywhere.  A
client can send either header itself, and a proxy that appends only to the
one it knows passes the other through untouched: operators should make the
proxy overwrite or strip the header it does not set.  The same holds for
``X-Forwarded-Proto`` and ``Forwarded: proto=``.

Addresses are normalised: IPv6 compressed and without brackets, and
IPv4-mapped IPv6 (``::ffff:192.0.2.1``) as plain IPv4, both when deciding
trust and in the result.  Parsing never raises on hostile input.
"""

import ipaddress
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union
import re

UNIX = "unix"

# Pieces of a Forwarded header: a quoted-string (closing quote optional, so
# an unbalanced one is seen and refused), a separator, or a run of anything else.
_FORWARDED_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)("?)|([,;=])|([^",;=]+)', re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
_NODE_PORT = re.compile(r"[0-9]{1,5}\Z|_[A-Za-z0-9._\-]+\Z")
_OWS = " \t"
_INVALID = object()  # a Forwarded pair that could not be read

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
# (quoted, text) pieces of a Forwarded pair's name or value
Pieces = List[Tuple[bool, str]]


def _address(text: str) -> Optional[Address]:
    """An ip_address for a bare IP in text (mapped IPv4 unwrapped), else None."""
    if "%" in text:  # zone ids: meaningless from another machine, and a spoofing aid
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _node(text: object) -> Optional[Address]:
    """The IP of one hop: ``ip``, ``ip:port``, ``[ipv6]`` or ``[ipv6]:port``; else None."""
    if not isinstance(text, str):
        return None
    text = text.strip(_OWS)
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        tail = text[end + 1 :]
        if tail and not (tail.startswith(":") and _NODE_PORT.match(tail, 1)):
            return None
        address = _address(text[1:end])
        # Brackets hold IPv6 only; "[1.2.3.4]" is not a node.
        return address if address is not None and text[1:end].count(":") else None
    if text.count(":") == 1:  # IPv4 with a port; bare IPv6 has two colons or more
        host, _, port = text.partition(":")
        if not _NODE_PORT.match(port):
            return None
        address = _address(host)
        return address if isinstance(address, ipaddress.IPv4Address) else None
    return _address(text)


def _pair(name: Optional[Pieces], pieces: Pieces, bad: bool) -> Any:
    """One ``name=value`` pair: None if blank, _INVALID if malformed, else (name, value)."""
    texts = [piece for piece in pieces if piece[0] or piece[1].strip(_OWS)]
    if name is None:
        return _INVALID if texts or bad else None
    if bad or len(texts) != 1 or any(quoted for quoted, _ in name):
        return _INVALID
    key = "".join(text for _, text in name).strip(_OWS).lower()
    if not key:
        return _INVALID
    quoted, text = texts[0]
    return key, _QUOTED_PAIR.sub(r"\1", text) if quoted else text.strip(_OWS)


def _parse_forwarded(value: str) -> List[Dict[str, str]]:
    """The elements of a Forwarded header, each a dict of lower-case name -> value.

    A malformed element (unbalanced quotes, text without '=', a quoted string
    mixed with other text, a repeated parameter) is kept as an empty dict, so
    it has neither ``for`` nor ``proto``; blank elements are dropped, as the
    list rule says.
    """
    elements: List[Dict[str, str]] = []
    element: Dict[str, str] = {}
    element_bad = False
    name: Optional[Pieces] = None
    pieces: Pieces = []
    bad = False
    tokens = _FORWARDED_TOKEN.finditer(value)
    while True:
        match = next(tokens, None)
        if match is not None:
            quoted, closed, separator, text = match.groups()
            if quoted is not None or text is not None:
                pieces.append((quoted is not None, text if quoted is None else quoted))
                bad = bad or (quoted is not None and not closed)
                continue
            if separator == "=":
                if name is None:
                    name, pieces = pieces, []
                else:
                    bad = True  # a second '=' in one pair
                continue
        pair = _pair(name, pieces, bad)
        name, pieces, bad = None, [], False
        if pair is _INVALID or (pair is not None and pair[0] in element):
            element_bad = True
        elif pair is not None:
            element[pair[0]] = pair[1]
        if match is None or separator == ",":
            if element or element_bad:
                elements.append({} if element_bad else element)
            element, element_bad = {}, False
        if match is None:
            return elements


class ProxyPolicy(object):
    """The proxies whose forwarding headers are believed.

    ``trusted`` lists IP addresses and CIDR networks (IPv4 or IPv6) as str,
    and ``"unix"`` for peers on a UNIX socket.  Empty or None trusts nobody.
    """

    __slots__ = ("_entries", "_unix", "_addresses", "_networks")

    def __init__(self, trusted: Optional[Iterable[str]]) -> None:
        if isinstance(trusted, (str, bytes)):
            raise ValueError(
                "trusted proxies must be a list, not the single string %r (write [%r])"
                % (trusted, trusted))
        try:
            entries = tuple(trusted or ())
        except TypeError:
            raise ValueError("trusted proxies must be a list of addresses, not %r" % (trusted,))
        self._entries = entries
        self._unix = False
        self._addresses: Set[Address] = set()
        self._networks: List[Network] = []
        for entry in entries:
            if entry == UNIX:
                self._unix = True
                continue
            network = self._network(entry)
            if network.num_addresses == 1:
                self._addresses.add(network.network_address)
            else:
                self._networks.append(network)

    @staticmethod
    def _network(entry: object) -> Network:
        if not isinstance(entry, str):
            raise ValueError("trusted proxy %r is not a str" % (entry,))
        if "%" in entry:
            raise ValueError("trusted proxy %r: zone ids are not supported" % (entry,))
        try:
            network = ipaddress.ip_network(entry)
        except ValueError as e:
            raise ValueError("trusted proxy %r is not an IP address or network (%s)" % (entry, e))
        mapped = ipaddress.IPv6Network("::ffff:0:0/96")
        if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(mapped):
            # The same hosts as an IPv4 network, which is how they are compared.
            network = ipaddress.ip_network(
                "%s/%d" % (network.network_address.ipv4_mapped, network.prefixlen - 96))
        return network

    def _trusts_address(self, address: Address) -> bool:
        if address in self._addresses:
            return True
        return any(address in network for network in self._networks)

    def trusts(self, host: Optional[str]) -> bool:
        """Whether a peer (str IP, or None on a UNIX socket) is a trusted proxy."""
        if host is None:
            return self._unix
        address = _address(host) if isinstance(host, str) else None
        return address is not None and self._trusts_address(address)

    def client(self, peer_host: Optional[str], headers: Mapping[str, str],
               tls: object) -> Tuple[str, bool]:
        """``(client_ip, secure)`` for a request from peer_host with these headers.

        headers maps lower-case names to str values, repeated fields joined
        with ", "; tls says whether our own connection is TLS.
        """
        peer = self._peer_text(peer_host)
        if not self.trusts(peer_host):
            return peer, bool(tls)
        forwarded: Optional[List[Dict[str, str]]] = None
        hops: Sequence[Optional[str]]
        if "x-forwarded-for" in headers:
            hops = headers["x-forwarded-for"].split(",")
        elif "forwarded" in headers:
            forwarded = _parse_forwarded(headers["forwarded"])
            hops = [element.get("for") for element in forwarded]
        else:
            hops = ()
        client = peer
        for hop in reversed(hops):
            address = _node(hop)
            if address is None:
                break
            client = str(address)
            if not self._trusts_address(address):
                break
        return client, bool(tls) or self._proto(headers, forwarded) == "https"

    @staticmethod
    def _peer_text(peer_host: Optional[str]) -> str:
        if peer_host is None:
            return UNIX
        address = _address(peer_host) if isinstance(peer_host, str) else None
        return str(peer_host) if address is None else str(address)

    @staticmethod
    def _proto(headers: Mapping[str, str], forwarded: Optional[List[Dict[str, str]]]) -> Optional[str]:
        """The scheme the nearest proxy saw, lower-case, or None."""
        if "x-forwarded-proto" in headers:
            return headers["x-forwarded-proto"].rpartition(",")[2].strip(_OWS).lower()
        if "forwarded" not in headers:
            return None
        if forwarded is None:
            forwarded = _parse_forwarded(headers["forwarded"])
        proto = forwarded[-1].get("proto") if forwarded else None
        return proto.lower() if isinstance(proto, str) else None

    def __repr__(self) -> str:
        return "ProxyPolicy(%r)" % (list(self._entries),)
