"""Receivers to try delivery with, on this machine: an HTTP webhook receiver that keeps (and can
verify) what it is posted, and an SFTP server (asyncssh's) serving a folder. `manage.py
delivery_sandbox` runs both for a new user of `make run`; the tests and the delivery drill use them
as real servers, with a seeded share of injected faults."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port: int = 0
    on_receive: object = None  # called with each Received

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
                    received = Received({k.lower(): v for k, v in self.headers.items()}, body, status)
                    receiver.received.append(received)
                if receiver.on_receive is not None:
                    receiver.on_receive(received)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
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
                 seed: int = 1, port: int = 0, host_key=None):
        import random

        import asyncssh

        self.root, self.user, self.password, self.port = root, user, password, port or free_port()
        self.fault_rate, self.faults, self.renames, self._rng = fault_rate, 0, [], random.Random(seed)
        self.host_key = host_key or asyncssh.generate_private_key("ssh-ed25519")
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
