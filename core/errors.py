"""Typed domain errors. Raised by services and validation, turned into client errors in exactly
two places: the base mutation (`core/gql/mutations.py`) and the DRF exception handler
(`core/rest/exceptions.py`)."""
from __future__ import annotations

from enum import Enum

from core.error_codes import CoreErrorCode


class DomainError(Exception):
    """One error with a code (an Enum member of some app's error_codes), a message naming the
    cause and the value, and the camelCase input path it concerns (or None)."""

    http_status = 400

    def __init__(self, code: Enum, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def errors(self) -> list["DomainError"]:
        return [self]

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code.name, "message": self.message}


class NotFound(DomainError):
    http_status = 404

    def __init__(self, what: str, ident: object, field: str | None = "id"):
        super().__init__(CoreErrorCode.NOT_FOUND, f"{what} {ident} not found", field)


class PermissionDenied(DomainError):
    http_status = 403

    def __init__(self, permission: str):
        super().__init__(CoreErrorCode.PERMISSION_DENIED, f"missing permission {permission}", None)


class StaleVersion(DomainError):
    http_status = 409

    def __init__(self, what: str, expected: int, current: int):
        super().__init__(
            CoreErrorCode.STALE_VERSION,
            f"{what} was changed by someone else: you sent version {expected}, current is {current}",
            "version",
        )


class DomainErrors(DomainError):
    """Several independent errors found at once (e.g. every bad field of one input)."""

    def __init__(self, errors: list[DomainError]):
        assert errors, "DomainErrors needs at least one error"
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self._errors = list(errors)
        self.http_status = first.http_status

    @property
    def errors(self) -> list[DomainError]:
        return self._errors


class ErrorCollector:
    """Gather every check's DomainError, then raise them together (or nothing)."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            self.errors.extend(exc.errors)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainErrors(self.errors)
