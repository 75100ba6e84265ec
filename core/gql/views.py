import re

from graphene_django.views import GraphQLView as BaseGraphQLView

# openIMIS fe-invoice 24.10 sends `subjectTypeName "invoice"` (no colon) in
# createPaymentWithDetailInvoice: a GraphQL syntax error. This one narrow repair lets that front
# end run unchanged; it touches nothing else (see docs/openimis-fe-compat.md §5.2).
_FE_2410_PAYMENT = re.compile(r'(createPaymentWithDetailInvoice\s*\(\s*input\s*:\s*\{[^}]*?)subjectTypeName\s+"')


class GraphQLView(BaseGraphQLView):
    """The /graphql endpoint (GraphiQL in DEBUG). Authentication happens before, in
    core.middleware; errors get their codes in core.gql.middleware."""

    @staticmethod
    def get_graphql_params(request, data):
        query, variables, operation_name, id = BaseGraphQLView.get_graphql_params(request, data)
        if query and "subjectTypeName" in query:
            query = _FE_2410_PAYMENT.sub(r'\1subjectType: "', query)
        return query, variables, operation_name, id
