import json
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
# Variables deeper than this are refused before anything walks them (no real input comes close).
MAX_VARIABLES_DEPTH = 32


class BadEnvelope(Exception):
    """A request whose envelope (body, `query`, `variables`, `operationName`) is not a GraphQL
    request: answered 400 INVALID with the reason, before any parsing of the document."""


def _depth_exceeds(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


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
        try:
            return super().dispatch(request, *args, **kwargs)
        except BadEnvelope as exc:
            return self._error(request, 400, CoreErrorCode.INVALID, str(exc))

    def parse_body(self, request):
        """The body as graphene-django reads it, but every way it can be malformed is a 400 with
        a code: undecodable bytes, JSON nested beyond the parser's reach, a JSON body that is not
        an object."""
        content_type = self.get_content_type(request)
        if content_type not in POST_CONTENT_TYPES:
            return super().parse_body(request)
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadEnvelope("the request body is not UTF-8 text") from None
        if content_type == "application/graphql":
            return {"query": body}
        try:
            data = json.loads(body)
        except RecursionError:
            raise BadEnvelope("the JSON body is nested too deeply") from None
        except ValueError:
            raise BadEnvelope("the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadEnvelope('the JSON body must be an object: {"query": "...", "variables": {...}}')
        return data

    @staticmethod
    def get_graphql_params(request, data):
        for name in ("query", "operationName"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise BadEnvelope(f"`{name}` must be a string, got {type(data[name]).__name__}")
        variables = data.get("variables")
        if isinstance(variables, str):
            try:
                variables = data["variables"] = json.loads(variables) if variables.strip() else None
            except (RecursionError, ValueError):
                raise BadEnvelope("`variables` is not valid JSON") from None
        if variables is not None and not isinstance(variables, dict):
            raise BadEnvelope(f"`variables` must be an object, got {type(variables).__name__}")
        if variables and _depth_exceeds(variables, MAX_VARIABLES_DEPTH):
            raise BadEnvelope(f"`variables` are nested deeper than {MAX_VARIABLES_DEPTH} levels")
        query, variables, operation_name, id = BaseGraphQLView.get_graphql_params(request, data)
        if query and "subjectTypeName" in query and query_size_error(query) is None:
            query = _FE_2410_PAYMENT.sub(r'\1subjectType: "', query)
        return query, variables, operation_name, id

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        error = query_size_error(query)
        if error is not None:  # before parsing: the cost of a document grows with its length
            return ExecutionResult(data=None, errors=[error])
        return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
