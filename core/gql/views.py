from graphene_django.views import GraphQLView as BaseGraphQLView


class GraphQLView(BaseGraphQLView):
    """The /graphql endpoint (GraphiQL in DEBUG). Authentication happens before, in
    core.middleware; errors get their codes in core.gql.middleware."""
