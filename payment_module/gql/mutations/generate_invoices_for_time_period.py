import graphene

from core.gql.mutations import BaseMutation
from core.tenancy import get_scoped
from invoice.gql.documents import InvoiceDocumentGQLType
from invoice.gql.mutations import decode_id
from payment_module.models import Operator
from payment_module.services.billing import generate_for_period


class GenerateInvoicesForTimePeriodMutation(BaseMutation):
    """Bill a period: for one operator (operatorId) or every operator with unbilled orders, one
    validated invoice per operator and its document (pending, generated asynchronously)."""

    invoice_documents = graphene.List(graphene.NonNull(InvoiceDocumentGQLType), required=True)

    class Input:
        operator_id = graphene.String()
        date_from = graphene.Date(required=True)
        date_to = graphene.Date(required=True)
        format = graphene.String(default_value="pdf")
        allow_open_period = graphene.Boolean(default_value=False, description="bill a period that has not ended yet "
                                                                             "(refused otherwise: PERIOD_NOT_ENDED)")

    class Meta:
        permissions = ("payment_module.generate_invoice", "invoice.add_invoicedocument")

    def resolve_invoice_documents(self, info):
        # A payload with errors has no documents: [] (the field is non-null), not a GraphQL error.
        return self.invoice_documents or []

    @classmethod
    def perform(cls, *, tenant, data):
        operator = None
        if data.get("operator_id"):
            operator = get_scoped(Operator.objects.all(), tenant.organization,
                                  decode_id(data["operator_id"], "operatorId"), what="operator", field="operatorId")
        generated = generate_for_period(actor=tenant.user, organization=tenant.organization, operator=operator,
                                        start_date=data["date_from"], end_date=data["date_to"], fmt=data["format"],
                                        allow_open_period=bool(data.get("allow_open_period")))
        return {"invoice_documents": generated,
                "internal_id": generated[0].id if len(generated) == 1 else None}
