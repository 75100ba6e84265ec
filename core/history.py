"""The one way tracked models are written and read back as history.

`save_with_history(obj, actor=, reason=)` stamps the audit columns, bumps `version` on updates
and saves, so django-simple-history records who, when and why. `history_versions(obj)` returns
each version with the fields it changed (old → new), for `…History(id)` queries and the admin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models

from core.errors import StaleVersion


def ensure_version(obj: models.Model, expected: int | None, what: str | None = None) -> None:
    """Optimistic lock: the client sends the version it read; anything else is STALE_VERSION.
    Call it on a row locked with select_for_update so two writers cannot both pass."""
    if expected is not None and int(expected) != obj.version:
        raise StaleVersion(what or obj._meta.verbose_name, int(expected), obj.version)


def save_with_history(obj: models.Model, *, actor, reason: str, update_fields=None) -> models.Model:
    creating = obj._state.adding
    if hasattr(obj, "user_updated_id"):
        obj.user_updated = actor
        if creating:
            obj.user_created = actor
        else:
            obj.version = (obj.version or 0) + 1
    obj._history_user = actor
    obj._change_reason = reason
    if update_fields is not None:
        update_fields = set(update_fields) | {"version", "user_updated", "date_updated"}
    obj.save(update_fields=update_fields)
    return obj


ROWS_PER_EXECUTE = 2000


def _connection():
    """The default database connection itself, not django.db.connection's thread-local proxy
    (whose every attribute read costs a lookup: millions of them in a big bulk write)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    return connections[DEFAULT_DB_ALIAS]


def insert_rows(model: type[models.Model], objs: list) -> None:
    """INSERT `objs` (primary keys set in Python, as every HistoryModel's uuid7) with one
    executemany per ROWS_PER_EXECUTE rows: the fields are prepared as Model.save prepares them
    (`pre_save` — auto_now_add — then `get_db_prep_save`), without bulk_create's per-batch SQL
    compilation, which costs more than the rows themselves on big imports (and, on SQLite, caps
    a statement at 999 values). No signals are sent (the project uses none for business flow)."""
    if not objs:
        return
    connection = _connection()
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs]
    _execute_insert(connection, model._meta.db_table, [f.column for f in fields], rows)
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _execute_insert(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """SQLite: executemany of one prepared statement, its fastest path. PostgreSQL: one COPY FROM
    STDIN through psycopg on the same connection (so in the same transaction), values adapted by
    psycopg — Django's client-side binding makes executemany one round trip per row there. The
    COPY is not in Django's query log (connection.queries, CaptureQueriesContext)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    if connection.vendor == "postgresql":
        # wrap_database_errors: psycopg's errors become Django's (a unique violation is IntegrityError)
        with connection.wrap_database_errors, connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_EXECUTE):
            cursor.executemany(sql, rows[start:start + ROWS_PER_EXECUTE])


def insert_history_rows(model: type[models.Model], objs: list, *, history_type: str, actor, reason: str,
                        date=None) -> None:
    """One django-simple-history row per object (`history_type` "+" created, "~" changed), with
    the actor and the reason, as save_with_history records them; written like insert_rows."""
    from django.utils import timezone

    if not objs:
        return
    connection = _connection()
    history = model.history.model
    fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    date = date or timezone.now()
    fixed = {"history_date": date, "history_change_reason": reason, "history_type": history_type,
             "history_user_id": getattr(actor, "pk", None)}
    rows = [tuple(f.get_db_prep_save(fixed[f.attname] if f.attname in fixed else getattr(obj, f.attname), connection)
                  for f in fields) for obj in objs]
    _execute_insert(connection, history._meta.db_table, [f.column for f in fields], rows)


def bulk_create_with_history(model: type[models.Model], objs: list, *, actor, reason: str) -> list:
    """The bulk twin of save_with_history for new rows: audit columns stamped, rows inserted
    (insert_rows), one "+" history row each with the actor and the reason."""
    for obj in objs:
        if hasattr(obj, "user_created_id"):
            obj.user_created = actor
            obj.user_updated = actor
    insert_rows(model, objs)
    insert_history_rows(model, objs, history_type="+", actor=actor, reason=reason)
    return objs


def bulk_update_with_history(model: type[models.Model], objs: list, *, fields: list[str], actor, reason: str) -> None:
    """The bulk twin of save_with_history for changed rows: stamps the audit columns, bumps
    `version` and records one "~" history row per object. Rows are written with one UPDATE per
    distinct set of new values (`pk IN (…)`, `version = version + 1`): Django's bulk_update builds
    a CASE per row and column (~1 ms a row), where a bank statement changes thousands of invoices
    to a few distinct values."""
    from collections import defaultdict

    from django.db.models import F
    from django.utils import timezone

    if not objs:
        return
    now = timezone.now()
    audited = hasattr(objs[0], "user_updated_id")
    groups: dict[tuple, list] = defaultdict(list)
    for obj in objs:
        groups[tuple(getattr(obj, name) for name in fields)].append(obj)
    for values, members in groups.items():
        changes = dict(zip(fields, values, strict=True))
        if audited:
            changes.update(user_updated=actor, date_updated=now, version=F("version") + 1)
        pks = [obj.pk for obj in members]
        for start in range(0, len(pks), 500):
            model._default_manager.filter(pk__in=pks[start:start + 500]).update(**changes)
    for obj in objs:
        if audited:
            obj.user_updated, obj.date_updated, obj.version = actor, now, (obj.version or 0) + 1
    insert_history_rows(model, objs, history_type="~", actor=actor, reason=reason, date=now)


IGNORED_FIELDS = {"date_updated", "user_updated", "version"}


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class HistoryVersion:
    version: int
    history_id: int
    history_type: str  # "+" created, "~" changed, "-" deleted
    date: datetime
    user: Any
    reason: str | None
    changes: list[FieldChange] = field(default_factory=list)


def history_versions(obj: models.Model) -> list[HistoryVersion]:
    """Every recorded version of `obj`, oldest first, each with its changed fields."""
    records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
    versions: list[HistoryVersion] = []
    previous = None
    for number, record in enumerate(records, start=1):
        changes: list[FieldChange] = []
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [
                FieldChange(c.field, c.old, c.new) for c in delta.changes if c.field not in IGNORED_FIELDS
            ]
        versions.append(
            HistoryVersion(
                version=getattr(record, "version", number),
                history_id=record.history_id,
                history_type=record.history_type,
                date=record.history_date,
                user=record.history_user,
                reason=record.history_change_reason,
                changes=changes,
            )
        )
        previous = record
    return versions
