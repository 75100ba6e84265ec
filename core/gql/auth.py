"""Declared permissions, checked in one way for every GraphQL entry point.

- query fields: `@requires("perm", ...)` on the resolver, or `permissions=` on a
  `TenantObjectType` (checked by its `get_queryset`);
- mutations: `Meta.permissions` on a `BaseMutation` subclass.
All of them call `authorize`, which authenticates, resolves the organisation and checks the role.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

from core.errors import DomainError, PermissionDenied
from core.gql.errors import graphql_error
from core.permissions import has_perms
from core.tenancy import TenantContext, tenant_for_request


def authorize(info, permissions: Iterable[str] = ()) -> TenantContext:
    try:
        tenant = tenant_for_request(info.context)
        missing = [perm for perm in permissions if not has_perms(tenant.role, [perm])]
        if missing:
            raise PermissionDenied(missing[0])
    except DomainError as exc:
        raise graphql_error(exc) from None
    return tenant


def requires(*permissions: str):
    """Resolver decorator: authorize, then call the resolver with `tenant=` added."""

    def decorator(resolver):
        @functools.wraps(resolver)
        def wrapper(root, info, **kwargs):
            tenant = authorize(info, permissions)
            return resolver(root, info, tenant=tenant, **kwargs)

        wrapper.permissions = permissions
        return wrapper

    return decorator
