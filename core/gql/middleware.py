import logging

from graphql import GraphQLError
from graphql_jwt.exceptions import JSONWebTokenError, JSONWebTokenExpired

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.gql.errors import graphql_error
from core.validation import ensure_clean_text

logger = logging.getLogger("molink.graphql")


class _TranslatedCodes(dict):
    """django-graphql-jwt's messages (translated at raise time) → our codes."""

    def get(self, message, default=None):
        from django.utils.translation import gettext

        for text, code in (("Refresh token is expired", CoreErrorCode.TOKEN_EXPIRED),
                           ("Signature has expired", CoreErrorCode.TOKEN_EXPIRED),
                           ("Please enter valid credentials", CoreErrorCode.INVALID_CREDENTIALS)):
            if message in (text, gettext(text)):
                return code
        return default


_JWT_MESSAGE_CODES = _TranslatedCodes()


class ErrorCodeMiddleware:
    """Every error leaves GraphQL with a code in `extensions.code`; an unexpected exception is
    logged with its traceback and reported as INTERNAL_ERROR, with no detail."""

    def resolve(self, next, root, info, **kwargs):
        try:
            if info.path.prev is None and kwargs:  # a root field: its arguments are the client's input
                ensure_clean_text(kwargs)
            return next(root, info, **kwargs)
        except GraphQLError:
            raise
        except DomainError as exc:
            raise graphql_error(exc) from None
        except JSONWebTokenExpired:
            raise GraphQLError("the token has expired", extensions={"code": CoreErrorCode.TOKEN_EXPIRED.name}) from None
        except JSONWebTokenError as exc:
            message = str(exc)
            code = _JWT_MESSAGE_CODES.get(message, CoreErrorCode.TOKEN_INVALID)
            if info.field_name == "tokenAuth":
                code = CoreErrorCode.INVALID_CREDENTIALS
            raise GraphQLError(message, extensions={"code": code.name}) from None
        except Exception:
            logger.exception("unexpected error in GraphQL field %s", info.field_name)
            raise GraphQLError(
                "internal error; it has been logged", extensions={"code": CoreErrorCode.INTERNAL_ERROR.name}
            ) from None
