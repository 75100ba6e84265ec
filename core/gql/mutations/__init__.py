"""The one base mutation. Every mutation of every app subclasses it and implements `perform`.

Order of work: authenticate and resolve the organisation (GraphQL error if that fails); write the
MutationLog in its own transaction (so it survives a rollback); check `Meta.permissions`; run
`perform` inside `transaction.atomic()`; turn DomainError into `errors: [{field, code, message}]`
and anything unexpected into one INTERNAL_ERROR (traceback in the server log only); close the log.

A mutation that anyone may call (`Meta.anyone = True`: accepting an operator-user invitation,
whose secret token is the credential) skips the organisation: `perform` gets `tenant=None` and
`user=` the logged-in caller or None; its log row belongs to no organisation.
"""
from __future__ import annotations

import json
import logging

import graphene
from django.db import transaction
from graphene import relay
from graphene.types.mutation import MutationOptions

from core.error_codes import CoreErrorCode
from core.errors import DomainError, PermissionDenied
from core.gql.errors import graphql_error
from core.gql.types import MutationError
from core.models import MutationLog
from core.permissions import has_perms
from core.tenancy import TenantContext, tenant_for_request

logger = logging.getLogger("molink.mutations")

CLIENT_FIELDS = ("client_mutation_id", "client_mutation_label")


# Input names whose values never reach MutationLog.json_content (which clients can read back
# through `mutationLogs`): compared without case, "_" or "-", as substrings, so `refreshToken`,
# `refresh_token`, `newPassword`, `apiKey`, `clientSecret`... are all caught.
SENSITIVE = ("password", "passwd", "token", "secret", "apikey", "authorization", "credential", "privatekey")
MASK = "***"


def _is_sensitive(key) -> bool:
    name = str(key).lower().replace("_", "").replace("-", "")
    return any(word in name for word in SENSITIVE)


def masked(value):
    """The mutation input as logged: the values of sensitive keys replaced by MASK, at any depth
    (nested input objects and lists of them)."""
    if isinstance(value, dict):
        return {key: MASK if _is_sensitive(key) else masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item) for item in value]
    return value


class BaseMutation(relay.ClientIDMutation):
    internal_id = graphene.String(description="UUID of the created or changed object")
    errors = graphene.List(graphene.NonNull(MutationError), required=True)

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, permissions=None, input_fields=None, _meta=None, anyone=False, **options):
        if permissions is None:
            raise TypeError(f"{cls.__name__}: declare Meta.permissions (an empty tuple if none)")
        if anyone and permissions:
            raise TypeError(f"{cls.__name__}: a mutation anyone may call declares no permissions")
        _meta = _meta or MutationOptions(cls)
        _meta.permissions = tuple(permissions)
        _meta.anyone = anyone
        input_fields = dict(input_fields or {})
        input_fields.setdefault("client_mutation_label", graphene.String())
        super().__init_subclass_with_meta__(input_fields=input_fields, _meta=_meta, **options)

    @classmethod
    def perform(cls, *, tenant: TenantContext, data: dict) -> dict:
        """Decode `data`, call one service, return the payload's fields."""
        raise NotImplementedError

    @classmethod
    def mutate_and_get_payload(cls, root, info, **input):
        client_mutation_id = input.get("client_mutation_id")
        caller = None
        if cls._meta.anyone:
            tenant = None
            user = getattr(info.context, "user", None)
            caller = user if user is not None and user.is_authenticated else None
        else:
            try:
                tenant = tenant_for_request(info.context)
            except DomainError as exc:
                raise graphql_error(exc) from None

        log = MutationLog.objects.create(
            organization=tenant.organization if tenant else None,
            user=tenant.user if tenant else caller,
            mutation_name=cls.__name__,
            json_content=json.dumps(masked(input), default=str),
            client_mutation_id=client_mutation_id,
            client_mutation_label=input.get("client_mutation_label"),
        )
        data = {key: value for key, value in input.items() if key not in CLIENT_FIELDS}
        try:
            missing = [perm for perm in cls._meta.permissions if not has_perms(tenant.role, [perm])]
            if missing:
                raise PermissionDenied(missing[0])
            with transaction.atomic():
                extra = {"user": caller} if cls._meta.anyone else {}
                result = cls.perform(tenant=tenant, data=data, **extra) or {}
        except DomainError as exc:
            errors = [error.as_dict() for error in exc.errors]
            cls._close_log(log, MutationLog.Status.ERROR, errors)
            return cls(client_mutation_id=client_mutation_id, errors=errors)
        except Exception:
            logger.exception("mutation %s failed (log %s)", cls.__name__, log.id)
            errors = [{"field": None, "code": CoreErrorCode.INTERNAL_ERROR.name,
                       "message": f"internal error; reference {log.id}"}]
            cls._close_log(log, MutationLog.Status.ERROR, errors)
            return cls(client_mutation_id=client_mutation_id, errors=errors)

        cls._close_log(log, MutationLog.Status.SUCCESS, None, result.get("internal_id"))
        return cls(client_mutation_id=client_mutation_id, errors=[], **result)

    @staticmethod
    def _close_log(log: MutationLog, status: int, errors, internal_id=None) -> None:
        log.status = status
        log.error = errors
        if internal_id:
            log.json_ext = {"internal_id": str(internal_id)}
        log.save(update_fields=["status", "error", "json_ext"])
