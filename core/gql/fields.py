"""The connection field of every list query: tenant scoping (through the node type), django-filter
lookups, openIMIS extras (`orderBy`, `applyDefaultValidityFilter`, `client_mutation_id`), soft
delete hidden unless `isDeleted` is asked, and per-type query shaping (`optimize_queryset`)."""
from __future__ import annotations

import base64
import functools
import json
import uuid
from functools import partial

import django_filters
import graphene
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from graphene.relay.connection import connection_adapter, page_info_adapter
from graphene.types.argument import to_arguments
from graphene.utils.str_converters import to_camel_case, to_snake_case
from graphene_django.fields import DjangoConnectionField
from graphene_django.filter import DjangoFilterConnectionField
from graphene_django.utils import maybe_queryset
from graphql_relay import (
    connection_from_array_slice,
    cursor_to_offset,
    get_offset_with_default,
    offset_to_cursor,
)

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
        """graphene-django's, with paging errors reported as INVALID and the `COUNT(*)` run only
        when it is needed (`_page`)."""
        _check_paging(args, max_limit)
        if enforce_first_or_last and not (args.get("first") or args.get("last")):
            raise DomainError(CoreErrorCode.REQUIRED, f"{info.field_name} needs `first` or `last`", "first")
        iterable = resolver(root, info, **args)
        if iterable is None:
            iterable = default_manager
        iterable = maybe_queryset(queryset_resolver(connection, iterable, info, args))
        known_total = getattr(connection._meta.node, "known_total_count", None)  # e.g. a maintained counter

        def count() -> int:
            total = known_total(args, info) if known_total else None
            return iterable.count() if total is None else total

        return cls._page(connection, args, iterable, max_limit, selects_total_count(info), count)

    @classmethod
    def _page(cls, connection, args: dict, iterable, max_limit: int | None, counted: bool, count):
        """The page of a connection. graphene-django counts every queryset first (`COUNT(*)`,
        which grows with the table) to slice it; here the page is read first (one row more than
        asked, to know whether there is a next page) and counted only when `totalCount` is
        selected and the page does not already tell it (a short first page is the whole set).
        `last` and `before` need the length: they take graphene-django's path."""
        if not isinstance(iterable, QuerySet) or args.get("last") is not None or args.get("before") is not None:
            return cls.resolve_connection(connection, args, iterable, max_limit=max_limit)
        offset = args.pop("offset", None)
        after = args.get("after")
        if offset:
            if after:
                offset += cursor_to_offset(after) + 1
            args["after"] = offset_to_cursor(offset - 1)  # openIMIS offsets count from 1
        start = get_offset_with_default(args.get("after"), -1) + 1
        if args.get("first") is None:
            args["first"] = max_limit  # RELAY_CONNECTION_MAX_LIMIT, always set
        first = args["first"]
        rows = list(iterable[start:start + first + 1])
        length = start + len(rows)  # exact when the page is short; else at least one more than the page
        if counted and (len(rows) > first or (start and not rows)):
            length = count()
        page = connection_from_array_slice(
            rows, args, slice_start=start, array_length=length, array_slice_length=len(rows),
            connection_type=partial(connection_adapter, connection), edge_type=connection.Edge,
            page_info_type=page_info_adapter,
        )
        page.iterable = iterable
        page.length = length
        return page

    @classmethod
    def resolve_queryset(cls, connection, iterable, info, args, filtering_args, filterset_class):
        node = connection._meta.node
        passed = passed_arguments(args) & filtering_args.keys()
        try:
            if passed:
                qs = super().resolve_queryset(connection, iterable, info, args, filtering_args,
                                              _restricted_filterset(filterset_class, frozenset(passed)))
            else:  # no filter asked: no FilterSet (≈ 100 filters deep-copied, a form validated)
                qs = DjangoConnectionField.resolve_queryset(connection, iterable, info, args)
        except ValidationError as exc:
            raise DomainError(CoreErrorCode.INVALID, *_filter_errors(exc)) from None
        if args.get("is_deleted") is None and hasattr(qs.model, "is_deleted"):
            qs = qs.filter(is_deleted=False)
        if args.get("apply_default_validity_filter") and hasattr(qs.model, "replacement_uuid"):
            qs = qs.filter(replacement_uuid__isnull=True)
        if args.get("client_mutation_id") and "client_mutation_id" not in filtering_args:
            qs = qs.filter(pk__in=_internal_ids(args["client_mutation_id"], info))
        qs = qs.order_by(*_ordering(node, args.get("order_by")))
        optimize = getattr(node, "optimize_queryset", None)
        return optimize(qs, info) if optimize else qs


class CustomerConnectionField(TenantConnectionField):
    """The connection field of a customer principal's lists (`myInvoices`): scoped by its node type
    (core.gql.types.CustomerObjectType), with TenantConnectionField's filters, `orderBy` and paging,
    but without `clientMutationId` and `applyDefaultValidityFilter` (mutation logs and validity
    are the organisations' business)."""

    def __init__(self, type_, *args, **kwargs):
        super().__init__(type_, *args, **kwargs)
        self.args = {name: arg for name, arg in (self._base_args or {}).items()
                     if name not in ("client_mutation_id", "apply_default_validity_filter")}


PAGING_ARGUMENTS = frozenset({"first", "last", "after", "before", "offset", "order_by"})


def passed_arguments(args: dict) -> set[str]:
    """The arguments of a connection that were given, paging and ordering aside."""
    return {name for name, value in args.items() if value is not None} - PAGING_ARGUMENTS


@functools.lru_cache(maxsize=512)
def _restricted_filterset(filterset_class, names: frozenset):
    """`filterset_class` with only the filters of the arguments passed: a FilterSet deep-copies
    every declared filter and builds a form field for each when it is instantiated, per request;
    the invoice one declares ≈ 100 for the ≈ 2 a request passes. Cached per set of names."""
    restricted = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    # set after creation: django-filter's metaclass computes base_filters from the declarations
    restricted.base_filters = {name: f for name, f in filterset_class.base_filters.items() if name in names}
    return restricted


def _filter_errors(exc: ValidationError) -> tuple[str, str]:
    """(message, field) of django-filter's form errors, which graphene-django passes as a JSON
    string: one readable sentence `argument: message; …`, and the argument when there is one."""
    text = "; ".join(exc.messages)
    try:
        errors = json.loads(text)
    except ValueError:
        errors = None
    if not isinstance(errors, dict) or not errors:
        return text, "filters"
    names = [to_camel_case(name) for name in errors]
    message = "; ".join(f"{name}: {' '.join(str(e.get('message', '')) for e in items)}"
                        for name, items in zip(names, errors.values()))
    return message, names[0] if len(names) == 1 else "filters"


def selects_total_count(info) -> bool:
    """Whether the connection's selection asks `totalCount` (directly, in a fragment or an inline
    fragment, under any alias)."""
    return any(field.name.value == "totalCount" for node in info.field_nodes
               for field in _fields(info, node.selection_set))


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


def _fields(info, selection_set):
    """The fields of one selection level, fragments (named and inline) expanded."""
    for selection in selection_set.selections if selection_set else ():
        if selection.kind == "fragment_spread":
            yield from _fields(info, info.fragments[selection.name.value].selection_set)
        elif selection.kind == "inline_fragment":
            yield from _fields(info, selection.selection_set)
        else:
            yield selection


def selected_node_fields(info) -> set[str]:
    """Names of the fields selected under `edges { node { … } }` of a connection (fragments
    included), to prefetch only what the client asked for."""
    return {field.name.value for connection in info.field_nodes
            for edges in _fields(info, connection.selection_set) if edges.name.value == "edges"
            for node in _fields(info, edges.selection_set) if node.name.value == "node"
            for field in _fields(info, node.selection_set)}
