import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from graphene_django.views import GraphQLView as BaseGraphQLView
from graphql import ExecutionResult

from core.error_codes import CoreErrorCode
from core.gql.limits import VALIDATION_RULES, query_size_error

# openIMIS fe-invoice 24.10 sends `subjectTypeName "invoice"` (no colon) in
# createPaymentWithDetailInvoice: a GraphQL syntax error. This one narrow repair lets that front
# end run unchanged; it touches nothing else (see docs/openimis-fe-compat.md §5.2).
_FE_2410_PAYMENT = re.compile(r'(createPaymentWithDetailInvoice\s*\(\s*input\s*:\s*\{[^}]*?)subjectTypeName\s+"')

# Bodies a cross-origin page cannot send without a CORS preflight (which this API never grants).
# A form or text body can be sent by any page with the browser's cookies attached: refusing them
# keeps the cookie-authenticated endpoint (`JWT` cookie, admin session) safe from cross-site
# request forgery although the view is csrf_exempt. No client of this API posts forms.
POST_CONTENT_TYPES = ("application/json", "application/graphql")


class GraphQLView(BaseGraphQLView):
    """The /graphql endpoint (GraphiQL in DEBUG). Authentication happens before, in
    core.middleware; errors get their codes in core.gql.middleware. Requests are bounded here:
    body size (DATA_UPLOAD_MAX_MEMORY_SIZE → 413 REQUEST_TOO_LARGE), POST content type (415
    UNSUPPORTED_MEDIA_TYPE), document size, depth and field count (core.gql.limits → 400
    QUERY_TOO_COMPLEX)."""

    validation_rules = VALIDATION_RULES

    def _error(self, request, status: int, code: CoreErrorCode, message: str) -> HttpResponse:
        body = self.json_encode(request, {"errors": [{"message": message, "extensions": {"code": code.name}}]})
        return HttpResponse(body, status=status, content_type="application/json")

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            if self.get_content_type(request) not in POST_CONTENT_TYPES:
                return self._error(request, 415, CoreErrorCode.UNSUPPORTED_MEDIA_TYPE,
                                   "POST a JSON body (Content-Type: application/json) or an application/graphql one")
            try:
                request.body  # noqa: B018 — read here so that an oversized body gets a clear answer
            except RequestDataTooBig:
                return self._error(request, 413, CoreErrorCode.REQUEST_TOO_LARGE,
                                   f"the request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes")
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def get_graphql_params(request, data):
        query, variables, operation_name, id = BaseGraphQLView.get_graphql_params(request, data)
        if query and "subjectTypeName" in query and query_size_error(query) is None:
            query = _FE_2410_PAYMENT.sub(r'\1subjectType: "', query)
        return query, variables, operation_name, id

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        error = query_size_error(query)
        if error is not None:  # before parsing: the cost of a document grows with its length
            return ExecutionResult(data=None, errors=[error])
        return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
