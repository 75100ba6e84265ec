import logging

from graphql import GraphQLError
from graphql_jwt.exceptions import JSONWebTokenError, JSONWebTokenExpired

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.gql.errors import graphql_error

logger = logging.getLogger("molink.graphql")


class ErrorCodeMiddleware:
    """Every error leaves GraphQL with a code in `extensions.code`; an unexpected exception is
    logged with its traceback and reported as INTERNAL_ERROR, with no detail."""

    def resolve(self, next, root, info, **kwargs):
        try:
            return next(root, info, **kwargs)
        except GraphQLError:
            raise
        except DomainError as exc:
            raise graphql_error(exc) from None
        except JSONWebTokenExpired:
            raise GraphQLError("the token has expired", extensions={"code": CoreErrorCode.TOKEN_EXPIRED.name}) from None
        except JSONWebTokenError as exc:
            message = str(exc)
            code = CoreErrorCode.INVALID_CREDENTIALS if "credentials" in message else CoreErrorCode.TOKEN_INVALID
            raise GraphQLError(message, extensions={"code": code.name}) from None
        except Exception:
            logger.exception("unexpected error in GraphQL field %s", info.field_name)
            raise GraphQLError(
                "internal error; it has been logged", extensions={"code": CoreErrorCode.INTERNAL_ERROR.name}
            ) from None
