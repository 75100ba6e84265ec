from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from graphql_jwt.decorators import jwt_cookie

from core.gql.views import GraphQLView
from core.rest.views import current_user
from core.views import health, metrics

# Query limits (size, depth, field count) are the view's own validation rules: core.gql.limits.
graphql_view = csrf_exempt(jwt_cookie(GraphQLView.as_view(graphiql=settings.DEBUG)))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("graphql", graphql_view, name="graphql"),
    # openIMIS front ends call {REACT_APP_API_URL or "/api"}/graphql and the current-user route.
    path("api/graphql", graphql_view),
    path("api/core/users/current_user/", current_user, name="current-user"),
    # The RFC's public REST API (JWT or X-Api-Key), its OpenAPI document and docs.
    path("v2/", include("payment_module.rest.urls")),
]
