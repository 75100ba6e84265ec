"""Limits on what one GraphQL document may ask, checked before anything runs. A document over a
limit answers HTTP 400 with one error per limit, `extensions.code` QUERY_TOO_COMPLEX:

- its text is larger than GRAPHQL_MAX_QUERY_BYTES (checked before parsing, see core.gql.views);
- an operation nests selections deeper than GRAPHQL_MAX_DEPTH (`{ a { b } }` has depth 1, the
  same measure as graphene's `depth_limit_validator`);
- an operation selects more than GRAPHQL_MAX_FIELDS fields once fragments are expanded (a few
  nested fragments spread many times each would otherwise multiply into billions of resolver
  calls while the text stays small).

Introspection fields (`__schema`, `__type`, `__typename`) are not measured, so GraphiQL and
schema tools keep working. Unlike graphene's `depth_limit_validator`, fragments are measured once
(memoised): an unknown or cyclic fragment spread counts as empty (the standard rules
KnownFragmentNames and NoFragmentCycles report it) instead of raising KeyError/RecursionError,
and a fragment spread many times costs no more to measure than once.
"""
from __future__ import annotations

from django.conf import settings
from graphql import GraphQLError
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ValidationContext, ValidationRule, specified_rules

from core.error_codes import CoreErrorCode

CODE = CoreErrorCode.QUERY_TOO_COMPLEX.name


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
