"""The one DRF exception handler: DomainError and DRF errors → 4xx {"code", "message", "field"}."""
import logging

from rest_framework import exceptions, status
from rest_framework.response import Response

from core.error_codes import CoreErrorCode
from core.errors import DomainError

logger = logging.getLogger("molink.rest")


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        errors = [error.as_dict() for error in exc.errors]
        body = dict(errors[0])
        if len(errors) > 1:
            body["errors"] = errors
        return Response(body, status=exc.http_status)
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        field = None
        if isinstance(detail, dict) and detail:
            field, detail = next(iter(detail.items()))
        if isinstance(detail, list) and detail:
            detail = detail[0]
        code = getattr(detail, "code", None) or exc.default_code
        if isinstance(exc, exceptions.NotAuthenticated):
            code = CoreErrorCode.UNAUTHENTICATED.name
        return Response({"code": str(code).upper(), "message": str(detail), "field": field}, status=exc.status_code)
    logger.exception("unexpected REST error")
    return Response(
        {"code": CoreErrorCode.INTERNAL_ERROR.name, "message": "internal error; it has been logged", "field": None},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
