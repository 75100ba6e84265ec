"""How errors leave GraphQL: every one carries a code in `extensions.code`.

The translation happens once per error, when the response is formatted
(`core.gql.views.GraphQLView.format_error`), not around every field resolver: graphql-core
records the exception a resolver raised (`original_error`) and the path of its field, which is
all a translation needs. An unexpected exception is logged with its traceback and reported as
INTERNAL_ERROR, with no detail.
"""
from __future__ import annotations

import logging

from graphene_django.views import HttpError
from graphql import GraphQLError, GraphQLSyntaxError
from graphql_jwt.exceptions import JSONWebTokenError, JSONWebTokenExpired

from core.error_codes import CoreErrorCode
from core.errors import DomainError

logger = logging.getLogger("molink.graphql")


def graphql_error(exc: DomainError) -> GraphQLError:
    """A top-level GraphQL error carrying the domain code (`extensions.code`)."""
    return GraphQLError(exc.message, extensions={"code": exc.code.name, "field": exc.field})


def with_code(error: GraphQLError, code: CoreErrorCode) -> GraphQLError:
    """`error` with `extensions.code` set, unless it already has one."""
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code.name}
    return error


def _jwt_code(exc: JSONWebTokenError, field_name: str | None) -> CoreErrorCode:
    """django-graphql-jwt's messages (translated at raise time) → our codes."""
    from django.utils.translation import gettext

    if isinstance(exc, JSONWebTokenExpired):
        return CoreErrorCode.TOKEN_EXPIRED
    if field_name == "tokenAuth":
        return CoreErrorCode.INVALID_CREDENTIALS
    message = str(exc)
    for text, code in (("Refresh token is expired", CoreErrorCode.TOKEN_EXPIRED),
                       ("Signature has expired", CoreErrorCode.TOKEN_EXPIRED),
                       ("Please enter valid credentials", CoreErrorCode.INVALID_CREDENTIALS)):
        if message in (text, gettext(text)):
            return code
    return CoreErrorCode.TOKEN_INVALID


def format_error(error: Exception) -> dict:
    """The JSON of one error of a GraphQL response."""
    if isinstance(error, HttpError):  # the view's own refusals: no query, a mutation in a GET
        return {"message": str(error), "extensions": {"code": CoreErrorCode.INVALID.name}}
    if not isinstance(error, GraphQLError):  # raised around execution, not by a field
        return _internal(error, "the GraphQL request")
    original = error.original_error
    if (error.extensions or {}).get("code"):  # coded where it was raised (validation, limits, on purpose)
        return error.formatted
    if original is None or isinstance(original, GraphQLError) or error.path is None:
        # graphql-core's own: syntax, or a variable value its scalar refused (no field ran)
        code = CoreErrorCode.GRAPHQL_PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else CoreErrorCode.INVALID
        return with_code(error, code).formatted
    located = {"locations": error.formatted.get("locations"), "path": error.path}
    if isinstance(original, DomainError):
        return {"message": original.message, **located,
                "extensions": {"code": original.code.name, "field": original.field}}
    if isinstance(original, JSONWebTokenError):
        field_name = error.nodes[0].name.value if error.nodes else None
        code = _jwt_code(original, field_name)
        message = "the token has expired" if isinstance(original, JSONWebTokenExpired) else str(original)
        return {"message": message, **located, "extensions": {"code": code.name}}
    return {**_internal(original, "GraphQL field " + ".".join(map(str, error.path))), **located}


def _internal(exc: BaseException, where: str) -> dict:
    logger.error("unexpected error in %s", where, exc_info=(type(exc), exc, exc.__traceback__))
    return {"message": "internal error; it has been logged", "extensions": {"code": CoreErrorCode.INTERNAL_ERROR.name}}
