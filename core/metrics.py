"""Counters shared across processes, and the Prometheus text exposition of /metrics."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F

from core.models import MetricCounter


def _labels(labels: dict | None) -> str:
    return ",".join(f'{key}="{value}"' for key, value in sorted((labels or {}).items()))


def increment(name: str, labels: dict | None = None, amount: int = 1) -> None:
    key = _labels(labels)
    with transaction.atomic():
        MetricCounter.objects.bulk_create([MetricCounter(name=name, labels=key, value=0)], ignore_conflicts=True)
        MetricCounter.objects.filter(name=name, labels=key).update(value=F("value") + amount)


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
