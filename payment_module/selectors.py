"""Reads of payment_module that other modules ask for through registries."""
from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from core.tenancy import CustomerParty
from payment_module.models import Operator, OperatorUser


def operator_user_parties(user) -> list[CustomerParty]:
    """The customer source of core.tenancy (registered in PaymentModuleConfig.ready()): the
    operators whose invitation `user` accepted, if the operator and its organisation are live."""
    content_type = ContentType.objects.get_for_model(Operator)
    rows = (OperatorUser.objects.filter(user=user, date_accepted__isnull=False, operator__is_deleted=False,
                                        organization__is_deleted=False)
            .values_list("organization_id", "operator_id"))
    return [CustomerParty(organization_id, content_type.pk, operator_id) for organization_id, operator_id in rows]


def operator_links(user) -> list[OperatorUser]:
    """The accepted operator accesses of a user, with their operators and organisations."""
    return list(OperatorUser.objects.filter(user=user, date_accepted__isnull=False, operator__is_deleted=False,
                                            organization__is_deleted=False)
                .select_related("operator", "organization").order_by("organization__name", "operator__name"))
