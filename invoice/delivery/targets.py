"""Where a delivery may connect to. An organisation names a webhook URL or an SFTP host; the
server must not be made to call its own network (SSRF): a target that resolves to a loopback,
private, link-local, multicast or reserved address is refused, unless
DELIVERY_ALLOW_PRIVATE_TARGETS (on by default in DEBUG only). The address checked is the address
connected to (`resolve_target` returns it), so a name that resolves differently the second time
(DNS rebinding) gains nothing."""
from __future__ import annotations

import ipaddress
import socket

from django.conf import settings


class TargetRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(host: str, port: int) -> str:
    """The address to connect to for host:port, or TargetRefused (TARGET_UNRESOLVABLE,
    TARGET_NOT_ALLOWED). Every address the name resolves to must be public."""
    if not host:
        raise TargetRefused("TARGET_NOT_ALLOWED", "no host")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused("TARGET_UNRESOLVABLE", f"{host} does not resolve ({exc})") from None
    addresses = [info[4][0] for info in infos]
    if not settings.DELIVERY_ALLOW_PRIVATE_TARGETS:
        private = [address for address in addresses if not _is_public(address)]
        if private:
            raise TargetRefused("TARGET_NOT_ALLOWED",
                                f"{host} resolves to {private[0]}, a private or loopback address: not allowed")
    return addresses[0]


def check_literal(host: str) -> None:
    """At registration: refuse an IP literal (or `localhost`) that could never be allowed. A name
    is checked again, resolved, at every send."""
    if settings.DELIVERY_ALLOW_PRIVATE_TARGETS:
        return
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise TargetRefused("TARGET_NOT_ALLOWED", f"{host} is a loopback name: not allowed")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not _is_public(host.strip("[]")):
        raise TargetRefused("TARGET_NOT_ALLOWED", f"{host} is a private or loopback address: not allowed")
