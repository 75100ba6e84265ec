"""Webhooks, signed as the Standard Webhooks specification says (standardwebhooks.com):

    webhook-id: msg_<delivery id>          the same for every try and every replay of one event
    webhook-timestamp: <unix seconds>
    webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>

The secret is `whsec_<base64 of 32 random bytes>`; the HMAC key is the decoded bytes. A 2xx
answer is success; anything else, a timeout or a refused connection is retried. Redirects are not
followed (a redirect could point inside our network)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import ssl
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings

from invoice.delivery import secrets as stored
from invoice.delivery.channels import ChannelError, Sent
from invoice.delivery.targets import TargetRefused, resolve_target

SECRET_PREFIX = "whsec_"
USER_AGENT = "Molink-Webhooks/1.0"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (and our tests): the timestamp is recent and one v1 signature matches."""
    try:
        timestamp = int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, headers.get("webhook-id", ""), timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in headers.get("webhook-signature", "").split())


def message_id(delivery) -> str:
    return f"msg_{uuid.UUID(str(delivery.replay_of_id or delivery.id)).hex}"


def body_of(delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChannelError("TARGET_NOT_ALLOWED", f"{url!r} is not an http(s) URL", retryable=False)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve_target(parts.hostname, port)
    except TargetRefused as exc:
        raise ChannelError(exc.code, exc.message, retryable=exc.code == "TARGET_UNRESOLVABLE") from None
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    except ssl.SSLError as exc:
        raise ChannelError("TLS_ERROR", f"{exc.__class__.__name__}: {exc}", retryable=True) from exc
    except (OSError, http.client.HTTPException) as exc:
        code = "TIMEOUT" if isinstance(exc, TimeoutError | socket.timeout) else "NETWORK_ERROR"
        raise ChannelError(code, f"{exc.__class__.__name__}: {exc}", retryable=True) from exc
    finally:
        connection.close()


def send(delivery, **_context) -> Sent:
    endpoint = delivery.webhook_endpoint
    if endpoint is None or not endpoint.is_active:
        raise ChannelError("ENDPOINT_DISABLED", "the webhook endpoint is disabled or gone", retryable=False)
    secret = stored.decrypt(endpoint.secret_encrypted)
    body, msg_id, timestamp = body_of(delivery), message_id(delivery), int(time.time())
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "webhook-id": msg_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }
    status = post(endpoint.url, body, headers, settings.WEBHOOK_TIMEOUT)
    if 200 <= status < 300:
        return Sent(msg_id, status)
    raise ChannelError("HTTP_ERROR", f"the endpoint answered HTTP {status}", retryable=True, response_status=status)
