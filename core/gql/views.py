import json
import re
from collections import OrderedDict
from threading import Lock

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from graphene_django.constants import MUTATION_ERRORS_FLAG
from graphene_django.settings import graphene_settings
from graphene_django.views import GraphQLView as BaseGraphQLView
from graphene_django.views import HttpError
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.language import OperationDefinitionNode

from core.error_codes import CoreErrorCode
from core.gql import errors
from core.gql.limits import VALIDATION_RULES, cost_error, limits_key, query_size_error

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


class DocumentCache:
    """Parsed and validated query documents by text, least recently used first out. A front end
    sends a handful of distinct documents over and over: parsing and validating them again costs
    more than running the small ones (docs/performance.md). Mutations are not kept (openIMIS
    front ends inline their values, every text is new), nor texts longer than `max_text`
    characters (the front end's are 1-2 KB; a parsed document takes many times its text, so
    `size` long ones would hold hundreds of MB). The key includes the limits the validation
    rules read, so a change of settings is never answered from the cache."""

    def __init__(self, size: int, max_text: int = 16 * 1024):
        self.size, self.max_text = size, max_text
        self.entries: OrderedDict = OrderedDict()
        self.lock = Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key, entry) -> None:
        if len(key[0]) > self.max_text:
            return
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


documents = DocumentCache(size=256)


class GraphQLView(BaseGraphQLView):
    """The /graphql endpoint (GraphiQL in DEBUG). Authentication happens before, in
    core.middleware; errors get their codes when the response is formatted (core.gql.errors).
    Requests are bounded here: body size (DATA_UPLOAD_MAX_MEMORY_SIZE → 413 REQUEST_TOO_LARGE),
    POST content type (415 UNSUPPORTED_MEDIA_TYPE), document size, depth, field count and cost
    (core.gql.limits → 400 QUERY_TOO_COMPLEX)."""

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

    format_error = staticmethod(errors.format_error)

    def parse_and_validate(self, query: str):
        """(document, validation errors) of a query text, from the cache when it was seen before."""
        key = (query, limits_key())
        entry = documents.get(key)
        if entry is None:
            document = parse(query)
            failures = validate(self.schema.graphql_schema, document, self.validation_rules,
                                graphene_settings.MAX_VALIDATION_ERRORS)
            for failure in failures:
                if not (failure.extensions or {}).get("code"):
                    errors.with_code(failure, CoreErrorCode.GRAPHQL_VALIDATION_FAILED)
            entry = (document, failures)
            operations = [d.operation for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if operations and all(operation == OperationType.QUERY for operation in operations):
                documents.put(key, entry)
        return entry

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        """graphene-django's execution, with the size limit checked before parsing (the cost of a
        document grows with its length) and parsing + validation cached (DocumentCache)."""
        if not query:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseBadRequest("Must provide query string."))
        error = query_size_error(query)
        if error is not None:
            return ExecutionResult(data=None, errors=[error])
        try:
            document, failures = self.parse_and_validate(query)
        except GraphQLError as exc:  # GraphQLSyntaxError: coded in format_error
            return ExecutionResult(errors=[exc])
        operation = get_operation_ast(document, operation_name)
        if request.method.lower() == "get" and operation is not None and operation.operation != OperationType.QUERY:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseNotAllowed(["POST"], f"Can only perform a {operation.operation.value} "
                                                             "operation from a POST request."))
        if failures:
            return ExecutionResult(data=None, errors=failures)
        error = cost_error(self.schema.graphql_schema, document, operation, variables)
        if error is not None:
            return ExecutionResult(data=None, errors=[error])
        options = {"root_value": self.get_root_value(request), "context_value": self.get_context(request),
                   "variable_values": variables, "operation_name": operation_name,
                   "middleware": self.get_middleware(request)}
        try:
            if operation is not None and operation.operation == OperationType.MUTATION \
                    and self.atomic_mutations():
                with transaction.atomic():
                    result = execute(self.schema.graphql_schema, document, **options)
                    if getattr(request, MUTATION_ERRORS_FLAG, False) is True:
                        transaction.set_rollback(True)
                return result
            return execute(self.schema.graphql_schema, document, **options)
        except Exception as exc:  # noqa: BLE001 - as graphene-django: reported (and logged) by format_error
            return ExecutionResult(errors=[exc])

    @staticmethod
    def atomic_mutations() -> bool:
        return graphene_settings.ATOMIC_MUTATIONS is True or connection.settings_dict.get("ATOMIC_MUTATIONS") is True
