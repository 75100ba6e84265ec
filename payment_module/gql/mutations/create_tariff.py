import graphene

from core.gql.mutations import BaseMutation
from payment_module.gql.inputs import TariffInputFields
from payment_module.gql.types import TariffGQLType
from payment_module.services.operators import tariff_create


class CreateTariffMutation(BaseMutation):
    """Add a price for an order kind in a currency over a period (periods of one kind and currency
    never overlap)."""

    tariff = graphene.Field(TariffGQLType)

    class Input(TariffInputFields):
        pass

    class Meta:
        permissions = ("payment_module.add_tariff",)

    @classmethod
    def perform(cls, *, tenant, data):
        tariff = tariff_create(actor=tenant.user, organization=tenant.organization, data=data)
        return {"tariff": tariff, "internal_id": tariff.id}
