"""Limits on what one GraphQL document may ask, checked before anything runs. A document over a
limit answers HTTP 400 with one error per limit, `extensions.code` QUERY_TOO_COMPLEX:

- its text is larger than GRAPHQL_MAX_QUERY_BYTES (checked before parsing, see core.gql.views);
- an operation nests selections deeper than GRAPHQL_MAX_DEPTH (`{ a { b } }` has depth 1, the
  same measure as graphene's `depth_limit_validator`);
- an operation selects more than GRAPHQL_MAX_FIELDS fields once fragments are expanded (a few
  nested fragments spread many times each would otherwise multiply into billions of resolver
  calls while the text stays small).

A fourth limit needs the request's variables, so it is checked after validation, just before
execution (core.gql.views): the operation's estimated **cost** must not exceed GRAPHQL_MAX_COST
(`operation_cost`). Aliases make a small text ask for the same expensive work hundreds of times;
the cost counts what would run:

- a field costs 1 for each object it is resolved for (its multiplier);
- a root field, or a connection's `totalCount`, costs ROUND_TRIP_COST (a database round trip
  and the work around it) times its multiplier;
- below a list, the multiplier is multiplied by the list's size: `first`/`last` when given
  (literal or variable), else the argument's default (`pickerOptions`), else for a connection
  RELAY_CONNECTION_MAX_LIMIT (what graphene-django applies) or 1 when it is filtered by `id`,
  and for a plain list (`lineItems`, `payments`…) NESTED_LIST_SIZE. A connection's size applies
  to its `edges`, not to `pageInfo` or `totalCount`.

Introspection fields (`__schema`, `__type`, `__typename`) are not measured, so GraphiQL and
schema tools keep working. Unlike graphene's `depth_limit_validator`, fragments are measured once
(memoised): an unknown or cyclic fragment spread counts as empty (the standard rules
KnownFragmentNames and NoFragmentCycles report it) instead of raising KeyError/RecursionError,
and a fragment spread many times costs no more to measure than once.
"""
from __future__ import annotations

from django.conf import settings
from graphql import (
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.validation import ValidationContext, ValidationRule, specified_rules

from core.error_codes import CoreErrorCode

CODE = CoreErrorCode.QUERY_TOO_COMPLEX.name
ROUND_TRIP_COST = 1000
NESTED_LIST_SIZE = 10


def too_complex(message: str, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": CODE})


def query_size_error(query: str | None) -> GraphQLError | None:
    """The error for a document larger than GRAPHQL_MAX_QUERY_BYTES, else None."""
    limit = settings.GRAPHQL_MAX_QUERY_BYTES
    size = len(query.encode("utf-8", "surrogatepass")) if query else 0  # a lone surrogate is refused later, by field
    if size > limit:
        return too_complex(f"the GraphQL document is {size} bytes long; at most {limit} bytes are accepted")
    return None


class _Measure:
    """(depth, field count) of selection sets, with fragments measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]):
        self.fragments = fragments
        self.memo: dict[str, tuple[int, int]] = {}
        self.visiting: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth, fields = 0, 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue  # introspection
                if selection.selection_set is None:
                    fields += 1
                    continue
                child_depth, child_fields = self.selection_set(selection.selection_set)
                depth, fields = max(depth, child_depth + 1), fields + 1 + child_fields
            elif isinstance(selection, InlineFragmentNode):
                child_depth, child_fields = self.selection_set(selection.selection_set)
                depth, fields = max(depth, child_depth), fields + child_fields
            elif isinstance(selection, FragmentSpreadNode):
                child_depth, child_fields = self.fragment(selection.name.value)
                depth, fields = max(depth, child_depth), fields + child_fields
        return depth, fields

    def fragment(self, name: str) -> tuple[int, int]:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return 0, 0  # unknown or cyclic: reported by the standard rules
        self.visiting.add(name)
        try:
            self.memo[name] = self.selection_set(definition.selection_set)
        finally:
            self.visiting.discard(name)
        return self.memo[name]


class QueryLimitsRule(ValidationRule):
    """Depth and expanded field count of each operation (GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_FIELDS)."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        definitions = context.document.definitions
        measure = _Measure({d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)})
        max_depth, max_fields = settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_FIELDS
        for operation in definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            name = operation.name.value if operation.name else "anonymous"
            depth, fields = measure.selection_set(operation.selection_set)
            if depth > max_depth:
                context.report_error(too_complex(
                    f"operation '{name}' is nested {depth} levels deep; at most {max_depth} are accepted",
                    [operation]))
            if fields > max_fields:
                context.report_error(too_complex(
                    f"operation '{name}' selects {fields} fields once fragments are expanded; "
                    f"at most {max_fields} are accepted", [operation]))


VALIDATION_RULES = (*specified_rules, QueryLimitsRule)


def limits_key() -> tuple:
    """The settings the validation rules read: part of the key of a cached validation."""
    return settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_FIELDS


class _Cost:
    """The estimated cost of one operation (see the module's docstring). The document has passed
    validation: fragments are known and acyclic, fields exist, and the expanded field count is
    bounded by GRAPHQL_MAX_FIELDS, which bounds this walk too."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict | None):
        from graphene_django.settings import graphene_settings

        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables or {}
        self.max_page = graphene_settings.RELAY_CONNECTION_MAX_LIMIT or 100

    def _int_argument(self, field: FieldNode, name: str):
        for argument in field.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return given if isinstance(given, int) and not isinstance(given, bool) else self.max_page
            return self.max_page
        return None

    def _size(self, field: FieldNode, definition, named_type) -> int:
        """How many objects the field's selections are resolved for, per object of its parent."""
        for name in ("first", "last"):
            value = self._int_argument(field, name)
            if value is not None:
                return max(0, min(value, self.max_page))
        for name in ("first", "last"):
            argument = definition.args.get(name)
            if argument is not None and isinstance(argument.default_value, int):
                return argument.default_value
        if named_type.name.endswith("Connection"):
            return 1 if any(a.name.value == "id" for a in field.arguments or ()) else self.max_page
        return NESTED_LIST_SIZE

    def selection_set(self, selection_set: SelectionSetNode | None, parent, multiplier: int, root: bool,
                      page: int | None = None) -> int:
        cost = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                cost += self.field(selection, parent, multiplier, root, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                cost += self.selection_set(selection.selection_set, type_, multiplier, root, page)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                type_ = self.schema.get_type(fragment.type_condition.name.value)
                cost += self.selection_set(fragment.selection_set, type_, multiplier, root, page)
        return cost

    def field(self, field: FieldNode, parent, multiplier: int, root: bool, page: int | None) -> int:
        name = field.name.value
        definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
        if name.startswith("__") or definition is None:
            return 0  # introspection; interfaces and unions are not used by this schema's fields
        named_type = get_named_type(definition.type)
        own = ROUND_TRIP_COST if root or name == "totalCount" else 1
        if field.selection_set is None:
            return own * multiplier
        child_multiplier, child_page = multiplier, None
        if name == "edges" and page is not None:
            child_multiplier = multiplier * page
        elif named_type.name.endswith("Connection"):
            child_page = self._size(field, definition, named_type)
        elif is_list_type(get_nullable_type(definition.type)):
            child_multiplier = multiplier * self._size(field, definition, named_type)
        return own * multiplier + self.selection_set(field.selection_set, named_type, child_multiplier, False,
                                                     child_page)


def operation_cost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                   variables: dict | None) -> int:
    root_type = schema.get_root_type(operation.operation)
    return _Cost(schema, document, variables).selection_set(operation.selection_set, root_type, 1, True)


def cost_error(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | None,
               variables: dict | None) -> GraphQLError | None:
    """The error for an operation costing more than GRAPHQL_MAX_COST, else None."""
    if operation is None:
        return None  # an unknown or ambiguous operation name: execution reports it
    cost, limit = operation_cost(schema, document, operation, variables), settings.GRAPHQL_MAX_COST
    if cost <= limit:
        return None
    name = operation.name.value if operation.name else "anonymous"
    return too_complex(f"operation '{name}' would cost about {cost:,} (a field value per object, "
                       f"{ROUND_TRIP_COST:,} per root field or totalCount); at most {limit:,} is accepted",
                       [operation])
