"""The shopper's IP address, taking X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """Walk X-Forwarded-For from the right while the hop is a trusted proxy.

    Anyone can send the header, so it is believed only as far as our own proxies vouch for it.
    """
    address = peer
    if not trusted or not forwarded_for:
        return address
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    while address is not None and hops and _trusted(address, trusted):
        hop = hops.pop()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        address = hop
    return address


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
