"""Tenant scoping, in one place.

`resolve_organization(user, header)` picks the organisation a request acts for: the user's only
membership, or the one named by the `X-Organization` header (its UUID or code).
`scope(queryset, organization)` restricts any queryset to that organisation, following the model's
`tenant_path`; every selector and every `DjangoObjectType.get_queryset` calls it.
`get_scoped(...)` loads one object or raises NOT_FOUND — another tenant's object is NOT_FOUND,
never PERMISSION_DENIED, so that its existence is not revealed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Model, QuerySet

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
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        error = getattr(request, "auth_error", None)
        if error:
            code, message = error
            raise DomainError(code, message)
        raise DomainError(CoreErrorCode.UNAUTHENTICATED, "authentication required: send Authorization: Bearer <token>")
    context = resolve_organization(user, request.META.get(ORGANIZATION_HEADER))
    request._tenant_context = context
    return context
