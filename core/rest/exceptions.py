"""The one DRF exception handler: DomainError and DRF errors → 4xx {"code", "message", "field"}."""
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.error_codes import CoreErrorCode
from core.errors import DomainError

logger = logging.getLogger("molink.rest")


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return Response({"code": CoreErrorCode.REQUEST_TOO_LARGE.name, "field": None,
                         "message": f"the request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):  # e.g. too many form fields: the client's fault, not ours
        return Response({"code": CoreErrorCode.INVALID.name, "message": "the request is malformed", "field": None},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        errors = [error.as_dict() for error in exc.errors]
        body = dict(errors[0])
        if len(errors) > 1:
            body["errors"] = errors
        return Response(body, status=exc.http_status)
    if isinstance(exc, exceptions.APIException):
        errors = _flatten(exc.detail, None, exc.default_code)
        code, message, field = errors[0]
        if isinstance(exc, exceptions.NotAuthenticated):
            code = CoreErrorCode.UNAUTHENTICATED.name
        body = {"code": code, "message": message, "field": field}
        if len(errors) > 1:
            body["errors"] = [{"field": f, "code": c, "message": m} for c, m, f in errors]
        response = Response(body, status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response
    logger.exception("unexpected REST error")
    return Response(
        {"code": CoreErrorCode.INTERNAL_ERROR.name, "message": "internal error; it has been logged", "field": None},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _flatten(detail, field, default_code) -> list[tuple[str, str, str | None]]:
    """DRF error details → [(CODE, message, field)], fields in declaration order."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", api_settings.NON_FIELD_ERRORS_KEY) else key
            found.extend(_flatten(value, name if field is None else f"{field}.{key}", default_code))
        return found or [(str(default_code).upper(), "invalid input", field)]
    if isinstance(detail, list):
        found = [item for value in detail for item in _flatten(value, field, default_code)]
        return found or [(str(default_code).upper(), "invalid input", field)]
    code = getattr(detail, "code", None) or default_code
    return [(str(code).upper(), str(detail), field)]
