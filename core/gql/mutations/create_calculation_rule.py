import graphene

from core.calculation import get_rule
from core.gql.mutations import BaseMutation
from core.gql.queries import CalculationRuleGQLType
from core.services.organizations import RuleInput, calculation_rule_create


class CreateCalculationRuleMutation(BaseMutation):
    """Add a VAT rate rule for the caller's organisation (no code needed)."""

    calculation_rule = graphene.Field(CalculationRuleGQLType)

    class Input:
        code = graphene.String(required=True)
        label = graphene.String(required=True)
        rate = graphene.Decimal(required=True)
        vat_category = graphene.String(default_value="S")
        exemption_reason = graphene.String(default_value="")

    class Meta:
        permissions = ("core.add_calculationrulesetting",)

    @classmethod
    def perform(cls, *, tenant, data):
        setting = calculation_rule_create(actor=tenant.user, organization=tenant.organization, data=RuleInput(**data))
        return {"calculation_rule": get_rule(tenant.organization, setting.id), "internal_id": setting.id}
