"""What every root field (query or mutation) does before its resolver: refuse text arguments
carrying control or unpaired surrogate characters (core.validation.ensure_clean_text), so that
they never reach the database or a document. Wrapped once, when the schema is built, rather than
as graphene middleware, which graphql-core would call around every field of every object."""
from __future__ import annotations

from graphql import GraphQLSchema, default_field_resolver

from core.validation import ensure_clean_text


def _checked(resolve):
    def resolve_root_field(root, info, **kwargs):
        if kwargs:
            ensure_clean_text(kwargs)
        return resolve(root, info, **kwargs)

    resolve_root_field.__wrapped__ = resolve
    return resolve_root_field


def guard_root_fields(schema: GraphQLSchema) -> None:
    for root_type in (schema.query_type, schema.mutation_type):
        for field in (root_type.fields.values() if root_type else ()):
            if not hasattr(field.resolve, "__wrapped__"):
                field.resolve = _checked(field.resolve or default_field_resolver)
