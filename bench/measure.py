"""Helpers shared by the benchmarks: emptying the invoice tables of a bench database, percentiles,
and cProfile reports (own time grouped by package, then the top functions)."""
from __future__ import annotations

import collections
import cProfile
import io
import pstats
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def truncate_invoice_tables(*, allow_any_database: bool, extra_models=()) -> None:
    """TRUNCATE the invoices, lines, payments, events (with their history tables), number sequences,
    the live-invoice counts (TRUNCATE fires no trigger: the seed's COPY then counts afresh) and
    `extra_models`, CASCADE (what points at invoices from other apps is bench data too). Refuses
    a database whose name lacks 'bench' unless `allow_any_database`. Needs django.setup()."""
    from django.db import connection

    from invoice.models import (
        Invoice,
        InvoiceEvent,
        InvoiceLineItem,
        InvoiceLiveCount,
        InvoiceNumberSequence,
        InvoicePayment,
    )

    database = connection.settings_dict["NAME"]
    if "bench" not in database and not allow_any_database:
        raise SystemExit(f"refusing to seed database {database!r} (it TRUNCATEs invoice tables): use a database "
                         "whose name contains 'bench', or --allow-any-database")
    with_history = (InvoiceEvent, InvoicePayment, InvoiceLineItem, Invoice)
    tables = [model._meta.db_table for model in (*extra_models, *with_history, InvoiceNumberSequence, InvoiceLiveCount)]
    tables += [model.history.model._meta.db_table for model in with_history]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " CASCADE")


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between the closest ranks (the `pct`th percentile of `values`)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def package_of(filename: str) -> str:
    """'django.db.models', 'graphene', 'repo:invoice/gql', 'stdlib:json', 'builtins (C: ...)'."""
    path = filename.replace("\\", "/")
    if "site-packages/" in path:
        rest = path.split("site-packages/", 1)[1].split("/")
        if rest[0] == "django" and len(rest) > 2:
            return "django." + rest[1] + ("." + rest[2] if rest[1] in ("db", "core") and len(rest) > 3 else "")
        return rest[0]
    if str(REPO_ROOT) in path:
        rel = path.split(str(REPO_ROOT) + "/", 1)[1]
        return "repo:" + rel.split("/")[0] + "/" + (rel.split("/")[1] if rel.count("/") > 1 else "")
    if path.startswith(("~", "<")):
        return "builtins (C: " + path + ")" if path.startswith("~") else path
    return "stdlib:" + Path(path).stem


def print_profile(profiler: cProfile.Profile, count: int, label: str, unit: str = "run",
                  limits: tuple[int, int] = (20, 35)) -> None:
    """Own time per `unit` by package, then the top `limits` functions by own and cumulative time."""
    stats = pstats.Stats(profiler)
    total = sum(tt for (_, _, tt, _, _) in stats.stats.values())
    print(f"\n--- cProfile, {label}: {count} {unit}s, {total * 1000 / count:.2f} ms/{unit} under the profiler ---")
    groups: collections.Counter = collections.Counter()
    for (filename, _, _), (_, _, tt, _, _) in stats.stats.items():
        groups[package_of(filename)] += tt
    print(f"own time by package (ms/{unit}):")
    for package, tt in groups.most_common(14):
        print(f"  {package:<34} {tt * 1000 / count:7.3f}  {100 * tt / total:5.1f} %")
    for sort, limit in zip(("tottime", "cumulative"), limits, strict=True):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(limit)
        text = out.getvalue()
        print(f"top by {sort}:")
        print(text[text.find("   ncalls"):].rstrip())
