"""The shopper's address, as the limits count it: X-Forwarded-For is believed only from
trusted proxies, and one client has one spelling.

dtc-api alone decides the address (``serve`` turns the HTTP server's own proxy handling off):
the peer of the connection, then, while that peer is a trusted proxy, the hop it appended to
X-Forwarded-For, walking from the right. The result is normalised so that one client cannot
take several identities: IPv6 addresses are written compressed and counted per /64 (one
customer line usually holds a whole /64), IPv4-mapped IPv6 addresses count as their IPv4.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A hop longer than this is not an address (the longest IPv6 text with a port is ~53).
_MAX_HOP = 64
# Hops read from the right at most: a chain of trusted proxies is short.
_MAX_HOPS = 16


def client_ip(
    peer: str | None, forwarded_for: Iterable[str] | str | None, trusted: Sequence[Network]
) -> str | None:
    """The client's key for limits: an IPv4 address, an IPv6 /64 ("2001:db8::/64"), or None.

    ``forwarded_for`` is every X-Forwarded-For header line in the order received (proxies
    may append a line of their own rather than extend the last one).
    """
    if peer is not None and not (trusted and forwarded_for):
        return _peer_key(peer)  # the common case: nobody in between
    address = parse_address(peer) if peer is not None else None
    if address is not None and trusted and forwarded_for:
        lines = [forwarded_for] if isinstance(forwarded_for, str) else list(forwarded_for)
        hops = _hops(lines)
        while hops and _trusted(address, trusted):
            hop = parse_address(hops.pop())
            if hop is None:
                break  # not written by a proxy of ours: stop believing the header here
            address = hop
    if address is None:
        return None if peer is None else peer[:_MAX_HOP]
    return client_key(address)


@functools.lru_cache(maxsize=4096)
def _peer_key(peer: str) -> str:
    address = parse_address(peer)
    return peer[:_MAX_HOP] if address is None else client_key(address)


def parse_address(text: str) -> Address | None:
    """An IP address from a header hop or a peer: ``1.2.3.4``, ``1.2.3.4:80``, ``::1``,
    ``[::1]:80``; anything else is None."""
    text = text.strip()
    if not text or len(text) > _MAX_HOP:
        return None
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(text.partition("%")[0])
    return address


def client_key(address: Address) -> str:
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def _hops(lines: list[str]) -> list[str]:
    """The last ``_MAX_HOPS`` hops of all header lines joined in order."""
    hops: list[str] = []
    for line in reversed(lines):
        for hop in reversed(line.split(",")):
            if hop.strip():
                hops.append(hop)
                if len(hops) >= _MAX_HOPS:
                    return hops[::-1]
    return hops[::-1]


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)
