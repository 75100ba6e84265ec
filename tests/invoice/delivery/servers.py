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


# --- webhooks -------------------------------------------------------------------------------------

@dataclass
class Received:
    headers: dict
    body: bytes
    status: int = 200

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server on loopback keeping every POST; `statuses` is the queue of answers to give
    (then 200)."""

    received: list = field(default_factory=list)
    statuses: list = field(default_factory=list)
    fault_rate: float = 0.0
    seed: int = 1

    def __post_init__(self):
        import random

        receiver = self
        self.faults, self._rng = 0, random.Random(self.seed)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if receiver.fault_rate and receiver._rng.random() < receiver.fault_rate:
                        status = 500
                        receiver.faults += 1
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body,
                                                      status))
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

    def __init__(self, root, *, user: str = "molink", password: str = "s3cret-sftp", fault_rate: float = 0.0,
                 seed: int = 1):
        import random

        import asyncssh

        self.root, self.user, self.password, self.port = root, user, password, free_port()
        self.fault_rate, self.faults, self.renames, self._rng = fault_rate, 0, [], random.Random(seed)
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

        class Files(asyncssh.SFTPServer):
            """The SFTP subsystem: a seeded share of opens fail (a transient server error); every
            completed rename onto a final name is recorded."""

            def __init__(self, chan):
                super().__init__(chan, chroot=str(server_self.root))

            def open(self, path, pflags, attrs):
                if server_self.fault_rate and server_self._rng.random() < server_self.fault_rate:
                    server_self.faults += 1
                    raise asyncssh.SFTPFailure("injected fault")
                return super().open(path, pflags, attrs)

            def posix_rename(self, oldpath, newpath):
                result = super().posix_rename(oldpath, newpath)
                server_self.renames.append(newpath.decode() if isinstance(newpath, bytes) else newpath)
                return result

        async def start():
            self._server = await asyncssh.listen(
                "127.0.0.1", self.port, server_host_keys=[self.host_key], server_factory=Server,
                sftp_factory=Files, allow_scp=False)
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
