"""The connection field of every list query: tenant scoping (through the node type), django-filter
lookups, openIMIS extras (`orderBy`, `applyDefaultValidityFilter`, `client_mutation_id`), soft
delete hidden unless `isDeleted` is asked, and per-type query shaping (`optimize_queryset`)."""
from __future__ import annotations

import base64
import uuid

import django_filters
import graphene
from django.core.exceptions import ValidationError
from graphene.types.argument import to_arguments
from graphql_relay import cursor_to_offset
from graphene.utils.str_converters import to_camel_case, to_snake_case
from graphene_django.filter import DjangoFilterConnectionField

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.models import MutationLog


class TenantConnectionField(DjangoFilterConnectionField):
    def __init__(self, type_, *args, order_by_list: bool = True, **kwargs):
        super().__init__(type_, *args, **kwargs)
        extra = {
            "order_by": graphene.List(graphene.String) if order_by_list else graphene.String(),
            "apply_default_validity_filter": graphene.Boolean(),
            "client_mutation_id": graphene.String(),
        }
        # A filter of the same name (e.g. mutationLogs' own clientMutationId) wins.
        extra = {name: arg for name, arg in extra.items() if name not in self.filtering_args}
        self.args = {**(self._base_args or {}), **to_arguments(extra)}

    @classmethod
    def connection_resolver(cls, resolver, connection, default_manager, queryset_resolver, max_limit,
                            enforce_first_or_last, root, info, **args):
        _check_paging(args, max_limit)
        return super().connection_resolver(resolver, connection, default_manager, queryset_resolver, max_limit,
                                           enforce_first_or_last, root, info, **args)

    @classmethod
    def resolve_queryset(cls, connection, iterable, info, args, filtering_args, filterset_class):
        node = connection._meta.node
        try:
            qs = super().resolve_queryset(connection, iterable, info, args, filtering_args, filterset_class)
        except ValidationError as exc:
            raise DomainError(CoreErrorCode.INVALID, "; ".join(exc.messages), "filters") from None
        if args.get("is_deleted") is None and hasattr(qs.model, "is_deleted"):
            qs = qs.filter(is_deleted=False)
        if args.get("apply_default_validity_filter") and hasattr(qs.model, "replacement_uuid"):
            qs = qs.filter(replacement_uuid__isnull=True)
        if args.get("client_mutation_id") and "client_mutation_id" not in filtering_args:
            qs = qs.filter(pk__in=_internal_ids(args["client_mutation_id"], info))
        qs = qs.order_by(*_ordering(node, args.get("order_by")))
        optimize = getattr(node, "optimize_queryset", None)
        return optimize(qs, info) if optimize else qs


def _check_paging(args: dict, max_limit: int | None) -> None:
    """Paging arguments graphene-django would refuse with an AssertionError (an INTERNAL_ERROR for
    the client) are reported as INVALID, naming the argument."""
    for name in ("first", "last", "offset"):
        value = args.get(name)
        if value is not None and value < 0:
            raise DomainError(CoreErrorCode.INVALID, f"{name} must be ≥ 0, got {value}", name)
        if name != "offset" and max_limit and value is not None and value > max_limit:
            raise DomainError(CoreErrorCode.INVALID, f"{name} must be ≤ {max_limit}, got {value}", name)
    if args.get("offset") is not None and args.get("before") is not None:
        raise DomainError(CoreErrorCode.INVALID, "offset and before cannot be used together", "offset")
    for name in ("after", "before"):
        if args.get(name) is not None and cursor_to_offset(args[name]) is None:
            raise DomainError(CoreErrorCode.INVALID, f"{name} is not a cursor of this connection: {args[name]!r}", name)


def _internal_ids(client_mutation_id: str, info) -> list:
    """Objects created/changed by the mutation(s) with this clientMutationId (same organisation)."""
    from core.tenancy import tenant_for_request

    tenant = tenant_for_request(info.context)
    ids = []
    for ext in MutationLog.objects.filter(
        organization=tenant.organization, client_mutation_id=client_mutation_id
    ).values_list("json_ext", flat=True):
        if ext and ext.get("internal_id"):
            ids.append(ext["internal_id"])
    return ids


def _ordering(node, order_by) -> list[str]:
    default = list(getattr(node, "default_ordering", None) or node._meta.model._meta.ordering or ("pk",))
    if not order_by:
        return default
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    allowed = set(getattr(node, "orderable_fields", ()) or ())
    result = []
    for item in items:
        descending = item.startswith("-")
        name = to_snake_case(item.lstrip("-"))
        if name not in allowed:
            raise DomainError(
                CoreErrorCode.INVALID, f"cannot order by {item!r}; allowed: {', '.join(sorted(allowed))}", "orderBy"
            )
        result.append(("-" if descending else "") + name)
    return result + ["pk"]


def parse_uuid_or_global_id(value) -> uuid.UUID | None:
    """openIMIS clients send raw UUIDs, relay clients global ids ("Type:uuid" in base64)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4)).decode()
        return uuid.UUID(decoded.split(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        raise DomainError(CoreErrorCode.INVALID, f"not a UUID or global id: {value!r}", "id") from None


class UUIDOrGlobalIDFilter(django_filters.CharFilter):
    """`id: "<uuid>"` or `id: "<relay global id>"`; an unparsable value is a clear INVALID error."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        try:
            key = parse_uuid_or_global_id(value)
        except DomainError as exc:
            raise DomainError(exc.code, exc.message, _argument_name(self)) from None
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": key})


def _argument_name(filter_: django_filters.Filter) -> str:
    """The GraphQL argument of a filter (`invoice_Id` for the filter `invoice__id`)."""
    name = next((name for name, other in filter_.parent.filters.items() if other is filter_), filter_.field_name)
    return to_camel_case(name)


class IntegerCodeFilter(django_filters.CharFilter):
    """An integer code (status, event type) as openIMIS clients send it: quoted (`status: "1"`).
    Anything but an integer is a clear INVALID error, never a database error."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        try:
            code = int(str(value).strip())
        except ValueError:
            name = _argument_name(self)
            raise DomainError(CoreErrorCode.INVALID, f"{name} must be an integer code, got {value!r}", name) from None
        return super().filter(qs, code)


def selected_node_fields(info) -> set[str]:
    """Names of the fields selected under `edges { node { … } }` of a connection (fragments
    included), to prefetch only what the client asked for."""
    names: set[str] = set()

    def walk(selection_set, inside_node: bool):
        if selection_set is None:
            return
        for selection in selection_set.selections:
            kind = selection.kind
            if kind == "fragment_spread":
                walk(info.fragments[selection.name.value].selection_set, inside_node)
            elif kind == "inline_fragment":
                walk(selection.selection_set, inside_node)
            elif inside_node:
                names.add(selection.name.value)
            elif selection.name.value in ("edges", "node"):
                walk(selection.selection_set, selection.name.value == "node")

    for field_node in info.field_nodes:
        walk(field_node.selection_set, False)
    return names
