import graphene

from core.gql.inputs import OrganizationInputFields
from core.gql.mutations import BaseMutation
from core.gql.queries import OrganizationGQLType
from core.models import Organization
from core.services.organizations import organization_update
from core.tenancy import get_scoped


class UpdateOrganizationMutation(BaseMutation):
    """Change the caller's organisation: legal ids, address, bank details, invoice settings."""

    organization = graphene.Field(OrganizationGQLType)

    class Input(OrganizationInputFields):
        id = graphene.UUID(required=True)
        version = graphene.Int(required=True)

    class Meta:
        permissions = ("core.change_organization",)

    @classmethod
    def perform(cls, *, tenant, data):
        organization = get_scoped(Organization.objects.all(), tenant.organization, data.pop("id"))
        version = data.pop("version")
        organization = organization_update(
            actor=tenant.user, organization=organization, version=version, changes=data
        )
        return {"organization": organization, "internal_id": organization.id}
