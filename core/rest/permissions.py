"""The one REST permission check: a view declares `required_permissions`, a tuple of Django
permission names or a {HTTP method: tuple} mapping, and this class checks them with
core.permissions.has_perms against the role of the request's TenantContext (JWT membership or
API key). Anonymous → 401 UNAUTHENTICATED; a method the view does not serve → 405
METHOD_NOT_ALLOWED; a missing permission → 403 PERMISSION_DENIED; a view that serves a method but
declares nothing for it is refused (fail closed).

`IsCustomer` is the check of the customer routes (/v2/me/...): an authenticated user, whose
CustomerPrincipal (core.tenancy.customer_for_request) the view then scopes with; no role, no
organisation, no permission names (a customer reads only what is billed to them, read-only).
`IsAnyone` says explicitly that a route needs no credential (accepting an invitation)."""
from __future__ import annotations

import logging

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from core.errors import PermissionDenied
from core.permissions import has_perms
from core.tenancy import customer_for_request, tenant_for_request

logger = logging.getLogger("molink.rest")

_AS_GET = {"HEAD", "OPTIONS"}


def required_for(view, method: str) -> tuple[str, ...] | None:
    declared = getattr(view, "required_permissions", None)
    if isinstance(declared, dict):
        method = "GET" if method in _AS_GET and method not in declared else method
        declared = declared.get(method)
    return tuple(declared) if declared is not None else None


class HasTenantPermissions(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "authentication required: send Authorization: Bearer <token> or X-Api-Key: <key>")
        if request.method.lower() not in view.http_method_names or not hasattr(view, request.method.lower()):
            raise exceptions.MethodNotAllowed(request.method)  # 405, not a permission question
        tenant = tenant_for_request(request)  # DomainError: NO_ORGANIZATION / ORGANIZATION_REQUIRED
        required = required_for(view, request.method)
        if required is None:
            logger.error("%s declares no required_permissions for %s: refused", type(view).__name__, request.method)
            raise PermissionDenied(f"{type(view).__name__}.{request.method}")
        for permission in required:
            if not has_perms(tenant.role, [permission]):
                raise PermissionDenied(permission)
        return True


def _ensure_method(request, view) -> None:
    if request.method.lower() not in view.http_method_names or not hasattr(view, request.method.lower()):
        raise exceptions.MethodNotAllowed(request.method)


class IsCustomer(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated("authentication required: send Authorization: Bearer <token>")
        _ensure_method(request, view)
        customer_for_request(request)
        return True


class IsAnyone(BasePermission):
    def has_permission(self, request, view) -> bool:
        _ensure_method(request, view)
        return True
