"""Fixtures of the integration tests."""
from __future__ import annotations

import pytest

from tests.helpers import pipeline


@pytest.fixture(scope="module")
def s3_server():
    """An S3 endpoint: moto in server mode on a free loopback port, for the module's tests."""
    from moto.server import ThreadedMotoServer

    port = pipeline.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
