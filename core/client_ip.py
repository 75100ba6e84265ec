"""The client's network address, the one place it is derived (login throttling, /metrics).

Behind reverse proxies `REMOTE_ADDR` is the last proxy's address, the same for every client: a
per-address login counter would then lock everybody out at once, and a proxy on the same host
would make every request look local. `TRUSTED_PROXY_COUNT` (default 0) says how many proxies in
front of the application append to `X-Forwarded-For`; the client is the entry that many places
from the right (entries further left are client-supplied and never trusted). Set it only when the
application cannot be reached except through those proxies.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _address(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The client's address, or None when it cannot be told."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            # Like DRF's NUM_PROXIES: with fewer entries than proxies, the leftmost one.
            return _address(forwarded[-min(proxies, len(forwarded))])
    return _address(request.META.get("REMOTE_ADDR"))


def throttle_key(request) -> str | None:
    """The address as a throttling key: IPv6 clients are grouped by /64 (one subscriber's
    allocation: they could otherwise rotate through billions of addresses)."""
    address = client_address(request)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def is_local_request(request) -> bool:
    """True when the request comes from this host itself and not through a proxy: a loopback
    address, and either trusted proxies are declared (so the address is the real client's) or no
    forwarding header is present (a proxy on the same host would otherwise make every outside
    request look local)."""
    address = client_address(request)
    if address is None or not address.is_loopback:
        return False
    if getattr(settings, "TRUSTED_PROXY_COUNT", 0) > 0:
        return True
    return not any(request.META.get(header) for header in FORWARDING_HEADERS)
