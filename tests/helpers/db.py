"""Database assertions shared by the test packages."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager


@contextmanager
def unchanged(snapshot: Callable[[], dict]):
    """with unchanged(db_state): … — `snapshot()` must read the same after the block as before."""
    before = snapshot()
    yield
    after = snapshot()
    assert after == before, {key: (before[key], after[key]) for key in before if before[key] != after[key]}
