"""Shared GraphQL building blocks: the tenant-scoped object type, the connection with
`totalCount`, error and history types."""
from __future__ import annotations

from decimal import Decimal

import graphene
from django.db import models
from graphene_django import DjangoObjectType
from graphene_django.converter import convert_django_field, get_django_field_description
from graphene_django.types import DjangoObjectTypeOptions

from core.errors import DomainError
from core.gql.auth import authorize
from core.gql.errors import graphql_error
from core.tenancy import customer_for_request, scope, scope_to_customer


@convert_django_field.register(models.DecimalField)
def convert_decimal_field(field, registry=None):
    """Decimal model fields leave with the field's own decimal places ("0.00", "2.0000"), whether
    the object was just computed in memory by a mutation or read back from the database."""
    exponent = Decimal(1).scaleb(-field.decimal_places)

    def resolve(root, info):
        value = getattr(root, field.attname)
        return None if value is None else Decimal(value).quantize(exponent)

    return graphene.Decimal(description=get_django_field_description(field), required=not field.null, resolver=resolve)


class ExtendedConnection(graphene.Connection):
    """openIMIS connections: `totalCount` and `edgeCount` beside `edges` and `pageInfo`."""

    total_count = graphene.Int()
    edge_count = graphene.Int()

    class Meta:
        abstract = True

    def resolve_total_count(self, info, **kwargs):
        return self.length

    def resolve_edge_count(self, info, **kwargs):
        return len(self.edges)


class TenantObjectType(DjangoObjectType):
    """A DjangoObjectType whose every queryset is authorised (`Meta.permissions`) and scoped to
    the caller's organisation by core.tenancy.scope."""

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, permissions=(), _meta=None, **options):
        _meta = _meta or DjangoObjectTypeOptions(cls)
        _meta.permissions = tuple(permissions)
        options.setdefault("connection_class", ExtendedConnection)
        super().__init_subclass_with_meta__(_meta=_meta, **options)

    @classmethod
    def get_queryset(cls, queryset, info):
        tenant = authorize(info, cls._meta.permissions)
        return scope(queryset, tenant.organization)


class CustomerObjectType(DjangoObjectType):
    """A DjangoObjectType of what a customer principal sees (the invoices billed to them): every
    queryset is scoped by core.tenancy.scope_to_customer; no role or organisation is involved, so
    an authenticated user who is no customer sees nothing. Declare only fields a customer may read."""

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, _meta=None, **options):
        options.setdefault("connection_class", ExtendedConnection)
        super().__init_subclass_with_meta__(_meta=_meta, **options)

    @staticmethod
    def principal(info):
        try:
            return customer_for_request(info.context)
        except DomainError as exc:
            raise graphql_error(exc) from None

    @classmethod
    def get_queryset(cls, queryset, info):
        return scope_to_customer(queryset, CustomerObjectType.principal(info))


class MutationError(graphene.ObjectType):
    field = graphene.String(description="camelCase input path, or null")
    code = graphene.String(required=True)
    message = graphene.String(required=True)


class FieldChangeGQLType(graphene.ObjectType):
    field = graphene.String(required=True)
    old = graphene.String()
    new = graphene.String()

    def resolve_old(self, info):
        return None if self.old is None else str(self.old)

    def resolve_new(self, info):
        return None if self.new is None else str(self.new)


class HistoryVersionGQLType(graphene.ObjectType):
    version = graphene.Int(required=True)
    history_type = graphene.String(required=True, description="+ created, ~ changed, - deleted")
    date = graphene.DateTime(required=True)
    user = graphene.String(description="username of who made the change")
    reason = graphene.String()
    changes = graphene.List(graphene.NonNull(FieldChangeGQLType), required=True)

    def resolve_user(self, info):
        return self.user.username if self.user is not None else None
