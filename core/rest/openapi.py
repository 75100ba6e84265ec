"""OpenAPI (drf-spectacular): the REST authentication schemes, and only /v2 in the document."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JWTScheme(OpenApiAuthenticationExtension):
    target_class = "core.rest.authentication.JWTAuthentication"
    name = "jwt"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "the access token of GraphQL tokenAuth: `Authorization: Bearer <token>` "
                               "(plus `X-Organization: <uuid or code>` for members of several organisations)"}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "core.rest.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                "description": "an organisation's API key (GraphQL createApiKey); `Authorization: Api-Key <key>` "
                               "works too"}


def only_v2(endpoints, **kwargs):
    """Preprocessing hook: the public document describes /v2 only (not /api/core/...)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/v2/") and not endpoint[0].startswith(
        ("/v2/schema", "/v2/docs"))]
