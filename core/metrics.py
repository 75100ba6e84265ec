"""Counters shared across processes, and the Prometheus text exposition of /metrics."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection

from core.models import MetricCounter


def _labels(labels: dict | None) -> str:
    return ",".join(f'{key}="{value}"' for key, value in sorted((labels or {}).items()))


def increment(name: str, labels: dict | None = None, amount: int = 1) -> None:
    """Add `amount` to the counter, creating it at need: one upsert statement (PostgreSQL and
    SQLite alike), so it costs one round trip inside the caller's transaction."""
    table = connection.ops.quote_name(MetricCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, labels, value) VALUES (%s, %s, %s) "
            f"ON CONFLICT (name, labels) DO UPDATE SET value = {table}.value + excluded.value",
            [name, _labels(labels), amount],
        )


def value(name: str, labels: dict | None = None) -> int:
    row = MetricCounter.objects.filter(name=name, labels=_labels(labels)).first()
    return row.value if row else 0


# Gauges computed at scrape time, registered by apps: name → callable returning (labels, value)s.
_GAUGES: dict[str, tuple[str, Callable[[], Iterable[tuple[dict, float]]]]] = {}


def register_gauge(name: str, help_text: str, collect: Callable[[], Iterable[tuple[dict, float]]]) -> None:
    _GAUGES[name] = (help_text, collect)


def exposition() -> str:
    lines = []
    for counter in MetricCounter.objects.order_by("name", "labels"):
        selector = f"{{{counter.labels}}}" if counter.labels else ""
        lines.append(f"{counter.name}{selector} {counter.value}")
    for name, (help_text, collect) in sorted(_GAUGES.items()):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        for labels, number in collect():
            selector = f"{{{_labels(labels)}}}" if labels else ""
            lines.append(f"{name}{selector} {number}")
    return "\n".join(lines) + "\n"
