"""Tenant scoping, in one place.

`resolve_organization(user, header)` picks the organisation a request acts for: the user's only
membership, or the one named by the `X-Organization` header (its UUID or code).
`scope(queryset, organization)` restricts any queryset to that organisation, following the model's
`tenant_path`; every selector and every `DjangoObjectType.get_queryset` calls it.
`get_scoped(...)` loads one object or raises NOT_FOUND — another tenant's object is NOT_FOUND,
never PERMISSION_DENIED, so that its existence is not revealed.

A second kind of principal, the **customer**: a user who is billed (an operator's user, invited by
an organisation) rather than a member of one. `CustomerPrincipal` names the parties such a user may
see — (organisation, party content type, party id) triples — which the sources registered with
`register_customer_source` (payment_module's operator users, in its AppConfig.ready()) answer:
core knows no operator. `scope_to_customer(queryset, principal)` restricts any queryset to rows of
those parties, following the model's `customer_path`, as `scope` follows `tenant_path`. A customer
has no role and no organisation to act for: staff entry points keep answering NO_ORGANIZATION for
them (they have no Membership), and customer entry points never look at memberships. An API key is
an organisation's credential, never a customer: its requests have no customer parties.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from core.error_codes import CoreErrorCode
from core.errors import DomainError, NotFound
from core.models import Membership, Organization, User

ORGANIZATION_HEADER = "HTTP_X_ORGANIZATION"


@dataclass(frozen=True)
class TenantContext:
    """Who acts, for which organisation, with which role."""

    user: User
    organization: Organization
    role: str


def resolve_organization(user: User, requested: str | None) -> TenantContext:
    memberships = Membership.objects.filter(user=user).select_related("organization")
    if requested:
        requested = requested.strip()
        try:
            memberships = memberships.filter(organization_id=uuid.UUID(requested))
        except ValueError:
            memberships = memberships.filter(organization__code=requested)
        membership = memberships.filter(organization__is_deleted=False).first()
        if membership is None:
            # Same answer whether the organisation exists or not.
            raise DomainError(
                CoreErrorCode.NO_ORGANIZATION,
                f"you are not a member of organisation {requested!r}",
                "X-Organization",
            )
        return TenantContext(user, membership.organization, membership.role)
    loaded = getattr(user, "loaded_memberships", None)  # read with the user (core.auth.user_by_natural_key)
    if loaded is not None:
        found = [membership for membership in loaded if not membership.organization.is_deleted][:2]
    else:
        found = list(memberships.filter(organization__is_deleted=False)[:2])
    if not found:
        raise DomainError(CoreErrorCode.NO_ORGANIZATION, "this user is not a member of any organisation")
    if len(found) > 1:
        raise DomainError(
            CoreErrorCode.ORGANIZATION_REQUIRED,
            "this user belongs to several organisations: name one with the X-Organization header",
            "X-Organization",
        )
    return TenantContext(user, found[0].organization, found[0].role)


def scope(queryset: QuerySet, organization: Organization) -> QuerySet:
    """Restrict `queryset` to rows of `organization`."""
    model = queryset.model
    path = getattr(model, "tenant_path", None)
    if model is User or (isinstance(model, type) and issubclass(model, User)):
        return queryset.filter(memberships__organization=organization)
    if path is None:
        raise TypeError(f"{model.__name__} declares no tenant_path: it cannot be scoped")
    if path == "":
        return queryset.filter(pk=organization.pk)
    return queryset.filter(**{path: organization})


def get_scoped(queryset: QuerySet, organization: Organization, pk, *, what: str | None = None,
               field: str = "id") -> Model:
    what = what or queryset.model._meta.verbose_name
    try:
        key = uuid.UUID(str(pk))
    except (TypeError, ValueError):
        raise NotFound(what, pk, field) from None
    obj = scope(queryset, organization).filter(pk=key).first()
    if obj is None:
        raise NotFound(what, pk, field)
    return obj


def _request_user(request) -> User:
    """The authenticated user of a request, or DomainError UNAUTHENTICATED / TOKEN_EXPIRED /
    TOKEN_INVALID (the code core.auth left on the request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        error = getattr(request, "auth_error", None)
        if error:
            code, message = error
            raise DomainError(code, message)
        raise DomainError(CoreErrorCode.UNAUTHENTICATED, "authentication required: send Authorization: Bearer <token>")
    return user


def tenant_for_request(request) -> TenantContext:
    """The TenantContext of an HTTP request (GraphQL or REST), cached on the request.

    A context already placed on the Django request (`request._tenant_context`) wins: REST API-key
    authentication (core.rest.authentication) puts the key's organisation and role there. A DRF
    Request is unwrapped to its Django request. Raises DomainError: UNAUTHENTICATED /
    TOKEN_EXPIRED / TOKEN_INVALID / NO_ORGANIZATION / ORGANIZATION_REQUIRED."""
    request = getattr(request, "_request", request)
    cached = getattr(request, "_tenant_context", None)
    if cached is not None:
        return cached
    user = _request_user(request)
    context = resolve_organization(user, request.META.get(ORGANIZATION_HEADER))
    request._tenant_context = context
    return context


# --- The customer principal ------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerParty:
    """One party a customer user may see the documents of: the object billed (`content_type_id`,
    `object_id`, e.g. an operator) by `organization_id`."""

    organization_id: uuid.UUID
    content_type_id: int
    object_id: uuid.UUID


@dataclass(frozen=True)
class CustomerPrincipal:
    """A user seen as a customer: the parties they may see, at whichever organisations bill them.
    No parties: they see nothing (a staff member, an API key)."""

    user: User | None
    parties: tuple[CustomerParty, ...]

    @property
    def organization_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(party.organization_id for party in self.parties)


CustomerSource = Callable[[User], Iterable[CustomerParty]]
_customer_sources: list[CustomerSource] = []


def register_customer_source(source: CustomerSource) -> CustomerSource:
    """Register `source(user) -> parties`, called by AppConfig.ready() of the app that knows the
    billed parties (payment_module: the operators a user was invited to and accepted). A source
    answers only live parties of live organisations. Registering again changes nothing."""
    if source not in _customer_sources:
        _customer_sources.append(source)
    return source


def customer_principal(user: User | None) -> CustomerPrincipal:
    if user is None or not user.is_authenticated or not user.is_active:
        return CustomerPrincipal(None, ())
    parties = {party for source in _customer_sources for party in source(user)}
    return CustomerPrincipal(user, tuple(sorted(parties, key=lambda p: (str(p.organization_id), str(p.object_id)))))


def customer_for_request(request) -> CustomerPrincipal:
    """The CustomerPrincipal of an HTTP request (GraphQL or REST), cached on the request. Raises
    UNAUTHENTICATED / TOKEN_EXPIRED / TOKEN_INVALID like tenant_for_request; an API-key request
    (core.rest.authentication marks it) is a principal without parties."""
    request = getattr(request, "_request", request)
    cached = getattr(request, "_customer_principal", None)
    if cached is not None:
        return cached
    user = _request_user(request)
    principal = CustomerPrincipal(None, ()) if getattr(request, "_api_key", None) else customer_principal(user)
    request._customer_principal = principal
    return principal


def _customer_q(model, principal: CustomerPrincipal, prefix: str = "") -> Q:
    path = getattr(model, "customer_path", None)
    if path is None:
        raise TypeError(f"{model.__name__} declares no customer_path: it cannot be scoped to a customer")
    if isinstance(path, str):  # a foreign key to a model that declares its own
        return _customer_q(model._meta.get_field(path).related_model, principal, f"{prefix}{path}__")
    organization, content_type, object_id = path
    condition = Q()
    for party in principal.parties:
        condition |= Q(**{f"{prefix}{organization}_id": party.organization_id,
                          f"{prefix}{content_type}_id": party.content_type_id,
                          f"{prefix}{object_id}": party.object_id})
    return condition


def scope_to_customer(queryset: QuerySet, principal: CustomerPrincipal) -> QuerySet:
    """Restrict `queryset` to rows of the principal's parties, following the model's
    `customer_path`: a triple (organisation field, content type field, object id field) naming
    the billed party (Invoice: its thirdparty), or the name of a foreign key to such a model
    (a line, an event, a document: their invoice)."""
    if not principal.parties:
        _customer_q(queryset.model, principal)  # a model without customer_path is still an error
        return queryset.none()
    return queryset.filter(_customer_q(queryset.model, principal))
