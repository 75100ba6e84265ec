"""Real servers for delivery tests, on loopback ports: SMTP (aiosmtpd), an HTTP webhook receiver
(http.server) and SFTP (asyncssh's server, serving a temporary folder)."""
from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers.pipeline import free_port


# --- SMTP -----------------------------------------------------------------------------------------

class SmtpServer:
    """aiosmtpd's Controller: every message received is kept (`messages`, parsed). `fail_next(n)`
    makes the next n messages answer 451 (a temporary failure)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages, self._fail, self.port = [], 0, free_port()
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self._fail > 0:
                self._fail -= 1
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


# --- webhooks -------------------------------------------------------------------------------------

@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server on loopback keeping every POST; `statuses` is the queue of answers to give
    (then 200)."""

    received: list = field(default_factory=list)
    statuses: list = field(default_factory=list)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/molink"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --- SFTP -----------------------------------------------------------------------------------------

class SftpServer:
    """asyncssh's SSH server with its SFTP subsystem rooted (chroot) in `root`, in a thread with
    its own event loop. Logs in `user` with `password`; `host_key_line` is its public key."""

    def __init__(self, root, *, user: str = "molink", password: str = "s3cret-sftp"):
        import asyncssh

        self.root, self.user, self.password, self.port = root, user, password, free_port()
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.host_key_line = self.host_key.export_public_key().decode().strip()
        self.logins = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    def _serve(self):
        import asyncssh

        server_self = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username):
                return True

            def password_auth_supported(self):
                return True

            def validate_password(self, username, password):
                ok = username == server_self.user and password == server_self.password
                server_self.logins += ok
                return ok

        async def start():
            self._server = await asyncssh.listen(
                "127.0.0.1", self.port, server_host_keys=[self.host_key], server_factory=Server,
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root)), allow_scp=False)
            self._ready.set()

        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def __enter__(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the SFTP server did not start"
        return self

    def __exit__(self, *exc):
        def stop():
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(5)
