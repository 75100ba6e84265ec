"""A fault-injecting HTTP proxy for the chaos drill (bench/chaos.py), on loopback in front of an S3
server (moto): with probability `rate` a request is not forwarded and is answered `503 SlowDown`
(S3's throttling error) or has its connection dropped without an answer; otherwise it is forwarded
with http.client and the answer relayed. The decision is drawn before forwarding, so a faulted
request never reached S3. Counts forwarded and faulted requests (by kind and HTTP method).

Point the S3 client at it (S3_ENDPOINT_URL=http://127.0.0.1:<port>) and set AWS_MAX_ATTEMPTS=1 so
botocore does not hide the faults behind its own retries: every fault then reaches the application.

    proxy = FaultProxy(upstream_port=moto_port, rate=0.2, seed=1)
    ...
    proxy.stop(); print(proxy.counts())
"""
from __future__ import annotations

import http.client
import random
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate. (injected by bench/fault_proxy.py)</Message>"
             b"<RequestId>chaos</RequestId></Error>")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length"}


class FaultProxy(ThreadingHTTPServer):
    """Threaded HTTP proxy on 127.0.0.1 (a free port) in front of 127.0.0.1:`upstream_port`.

    `rate`: probability that a request is faulted; `drop_share`: the share of faults that drop the
    connection instead of answering 503. The random draws are seeded, but which request gets which
    draw depends on the order in which concurrent requests arrive."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, upstream_port: int, rate: float, seed: int, *, drop_share: float = 0.25,
                 upstream_host: str = "127.0.0.1"):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {rate}")
        self.upstream = (upstream_host, upstream_port)
        self.rate, self.drop_share = rate, drop_share
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stats: Counter = Counter()
        super().__init__(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, name="fault-proxy", daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def forwarded(self) -> int:
        return self.stats["forwarded"]

    @property
    def faulted(self) -> int:
        return self.stats["503"] + self.stats["drop"]

    def decide(self, method: str) -> str:
        with self.lock:
            roll = self.random.random()
            if roll < self.rate:
                decision = "drop" if roll < self.rate * self.drop_share else "503"
            else:
                decision = "forwarded"
            self.stats[decision] += 1
            self.stats[f"{decision} {method}"] += 1
            return decision

    def note(self, what: str) -> None:
        with self.lock:
            self.stats[what] += 1

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.stats)

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # a client gone mid-request (e.g. a SIGKILLed worker)
            self.note("client disconnects")
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects; answers 100-continue itself
    server: FaultProxy

    def log_message(self, *args):  # quiet: the proxy counts, it does not log every request
        pass

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _handle(self) -> None:
        body = self._read_body()  # read the whole request first: a fault answers a complete request
        decision = self.server.decide(self.command)
        if decision == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if decision == "503":
            self.send_response(503, "Slow Down")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOW_DOWN)))
            self.send_header("x-amz-request-id", "chaos")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(SLOW_DOWN)
            return
        headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP | {"expect"}}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        except OSError:
            # The upstream itself failed: answer 502 so that the client sees an error, and count it.
            self.server.note("upstream errors")
            self.send_error(502, "upstream S3 unreachable")
            return
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        # A HEAD answer has no body but announces the object's length: relay it as is.
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length if length is not None else str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle
