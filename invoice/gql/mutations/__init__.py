"""Invoice mutations: one file per GraphQL field, each calling one service."""
from __future__ import annotations

from core.error_codes import CoreErrorCode
from core.errors import DomainError, DomainErrors
from core.gql.fields import parse_uuid_or_global_id


def decode_id(value, field: str):
    """A raw UUID or relay global id → UUID; None stays None; an empty string is REQUIRED."""
    if value is not None and not str(value).strip():
        raise DomainError(CoreErrorCode.REQUIRED, f"{field} is empty: give an id", field)
    try:
        return parse_uuid_or_global_id(value)
    except DomainError as exc:
        raise DomainError(exc.code, exc.message, field) from None


def for_each_uuid(uuids: list, action) -> list:
    """Apply `action(uuid, field)` to every id of a `uuids` input; all or nothing (the base
    mutation's transaction rolls back on the first error, which names `uuids.<n>`)."""
    if not uuids:
        raise DomainError(CoreErrorCode.REQUIRED, "uuids must name at least one object", "uuids")
    results = []
    for index, raw in enumerate(uuids):
        field = f"uuids.{index}"
        if raw is None:
            raise DomainError(CoreErrorCode.REQUIRED, f"{field} is null: give an id", field)
        try:
            results.append(action(decode_id(raw, field), field))
        except DomainErrors:
            raise
        except DomainError as exc:
            raise DomainError(exc.code, exc.message, exc.field if exc.field and exc.field.startswith("uuids") else field) from None
    return results
