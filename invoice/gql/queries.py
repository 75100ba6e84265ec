import graphene

from core.gql.auth import requires
from core.gql.fields import (
    CustomerConnectionField,
    TenantConnectionField,
    parse_uuid_or_global_id,
)
from core.gql.types import HistoryVersionGQLType
from core.history import history_versions
from invoice.gql.customer import CustomerInvoiceGQLType
from invoice.gql.documents import InvoiceDocumentGQLType
from invoice.gql.types import (
    InvoiceEventGQLType,
    InvoiceGQLType,
    InvoiceLineItemGQLType,
    InvoicePaymentGQLType,
    PaymentInvoiceGQLType,
)
from invoice.selectors import invoice_get


class Query(graphene.ObjectType):
    invoice = TenantConnectionField(InvoiceGQLType)
    invoice_line_item = TenantConnectionField(InvoiceLineItemGQLType)
    invoice_payment = TenantConnectionField(InvoicePaymentGQLType)
    invoice_event = TenantConnectionField(InvoiceEventGQLType)
    invoice_document = TenantConnectionField(InvoiceDocumentGQLType)
    payment_invoice = TenantConnectionField(PaymentInvoiceGQLType)
    my_invoices = CustomerConnectionField(
        CustomerInvoiceGQLType,
        description="The invoices billed to you (an operator user), at every organisation that bills you; read-only",
    )
    invoice_history = graphene.List(
        graphene.NonNull(HistoryVersionGQLType), id=graphene.String(required=True), required=True,
        description="Every version of an invoice: number, who, when, reason, changed fields (old → new)",
    )

    @requires("invoice.view_invoice")
    def resolve_invoice_history(root, info, tenant, id):
        return history_versions(invoice_get(tenant.organization, parse_uuid_or_global_id(id)))
