"""Run work in parallel threads released at once, for the PostgreSQL concurrency tests."""
from __future__ import annotations

import threading

from django.db import connection


def run_together(count: int, work) -> list[tuple[str, object]]:
    """Run work(i) in `count` threads released at once; [("ok", result) | ("error", exception)]."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[tuple[str, object]] = [("missing", None)] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = ("ok", work(index))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running (deadlock?)"
    return results
