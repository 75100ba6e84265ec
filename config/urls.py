from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from graphql_jwt.decorators import jwt_cookie

from core.gql.views import GraphQLView
from core.views import health, metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("graphql", csrf_exempt(jwt_cookie(GraphQLView.as_view(graphiql=settings.DEBUG))), name="graphql"),
]
