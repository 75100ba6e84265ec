"""Roles → permissions, and the one permission check.

Permissions are Django permission names (`app_label.codename`). A user's permissions in an
organisation are those of their membership's role; apps add theirs to the roles in
`AppConfig.ready()` with `grant(...)`. Mutations declare `Meta.permissions` and query fields
declare `permissions=`; both are checked by `core.gql.auth.authorize`, which calls `has_perms`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from core.models import Membership

Role = Membership.Role

_ROLE_PERMISSIONS: dict[str, set[str]] = defaultdict(set)


def grant(roles: Iterable[str], permissions: Iterable[str]) -> None:
    for role in roles:
        _ROLE_PERMISSIONS[role].update(permissions)


def role_permissions(role: str) -> frozenset[str]:
    return frozenset(_ROLE_PERMISSIONS.get(role, ()))


def has_perms(role: str | None, permissions: Iterable[str]) -> bool:
    if role is None:
        return False
    granted = _ROLE_PERMISSIONS.get(role, set())
    return all(perm in granted for perm in permissions)


def register_core_roles() -> None:
    everyone = (Role.ADMIN, Role.ACCOUNTANT, Role.VIEWER)
    grant(everyone, {
        "core.view_organization",
        "core.view_user",
        "core.view_calculationrulesetting",
        "core.view_mutationlog",
    })
    grant((Role.ADMIN,), {
        "core.change_organization",
        "core.add_calculationrulesetting",
        "core.change_calculationrulesetting",
        "core.add_apikey",
        "core.delete_apikey",
    })


# openIMIS front ends read integer "rights" from GET /api/core/users/current_user/; apps map
# their permissions to those codes here (permission → codes).
_OPENIMIS_RIGHTS: dict[str, set[int]] = defaultdict(set)


def map_openimis_rights(mapping: dict[str, Iterable[int]]) -> None:
    for permission, codes in mapping.items():
        _OPENIMIS_RIGHTS[permission].update(codes)


def openimis_rights(role: str | None) -> list[int]:
    granted = role_permissions(role) if role else frozenset()
    return sorted({code for perm in granted for code in _OPENIMIS_RIGHTS.get(perm, ())})
