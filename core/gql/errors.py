from graphql import GraphQLError

from core.errors import DomainError


def graphql_error(exc: DomainError) -> GraphQLError:
    """A top-level GraphQL error carrying the domain code (`extensions.code`)."""
    return GraphQLError(exc.message, extensions={"code": exc.code.name, "field": exc.field})
