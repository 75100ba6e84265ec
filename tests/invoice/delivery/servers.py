"""Real servers for delivery tests, on loopback ports: SMTP (aiosmtpd, a test dependency), and the
webhook receiver and SFTP server of invoice.delivery.sandbox."""
from __future__ import annotations

import threading
from email import message_from_bytes

from invoice.delivery.sandbox import Received, SftpServer, WebhookReceiver, free_port  # noqa: F401

# --- SMTP -----------------------------------------------------------------------------------------

class SmtpServer:
    """aiosmtpd's Controller: every message received is kept (`messages`, parsed). `fail_next(n)`
    makes the next n messages answer 451 (a temporary failure), `fault_rate` a seeded share of them."""

    def __init__(self, *, fault_rate: float = 0.0, seed: int = 1):
        import random

        from aiosmtpd.controller import Controller

        self.messages, self._fail, self.port = [], 0, free_port()
        self.fault_rate, self.faults, self._rng = fault_rate, 0, random.Random(seed)
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self._fail > 0 or (self.fault_rate and self._rng.random() < self.fault_rate):
                self._fail = max(0, self._fail - 1)
                self.faults += 1
                return "451 4.3.0 try again later"
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def fail_next(self, count: int) -> None:
        with self.lock:
            self._fail = count

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def use_smtp(settings, server: SmtpServer) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


