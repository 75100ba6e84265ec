import graphene

from invoice.gql.mutations.cancel_invoice import CancelInvoiceMutation
from invoice.gql.mutations.create_invoice import CreateInvoiceMutation
from invoice.gql.mutations.create_invoice_event_message import CreateInvoiceEventMessageMutation
from invoice.gql.mutations.create_invoice_line_item import CreateInvoiceLineItemMutation
from invoice.gql.mutations.create_invoice_payment import CreateInvoicePaymentMutation
from invoice.gql.mutations.delete_invoice import DeleteInvoiceMutation
from invoice.gql.mutations.delete_invoice_line_item import DeleteInvoiceLineItemMutation
from invoice.gql.mutations.create_payment_with_detail_invoice import CreatePaymentWithDetailInvoiceMutation
from invoice.gql.mutations.delete_invoice_payment import DeleteInvoicePaymentMutation
from invoice.gql.mutations.delete_payment_invoice import DeletePaymentInvoiceMutation
from invoice.gql.mutations.generate_invoice_document import GenerateInvoiceDocumentMutation
from invoice.gql.mutations.update_invoice import UpdateInvoiceMutation
from invoice.gql.mutations.update_invoice_event_message import UpdateInvoiceEventMessageMutation
from invoice.gql.mutations.update_invoice_line_item import UpdateInvoiceLineItemMutation
from invoice.gql.mutations.update_invoice_payment import UpdateInvoicePaymentMutation
from invoice.gql.mutations.validate_invoice import ValidateInvoiceMutation
from invoice.gql.delivery import (
    CreateWebhookEndpointMutation,
    DeliveryQuery,
    ReplayDeliveryMutation,
    SendInvoiceDocumentMutation,
    SetSftpDestinationMutation,
    UpdateDeliverySettingsMutation,
    UpdateWebhookEndpointMutation,
)
from invoice.gql.queries import Query as InvoiceQuery


class Query(InvoiceQuery, DeliveryQuery, graphene.ObjectType):
    pass


class Mutation(graphene.ObjectType):
    create_invoice = CreateInvoiceMutation.Field()
    update_invoice = UpdateInvoiceMutation.Field()
    validate_invoice = ValidateInvoiceMutation.Field()
    cancel_invoice = CancelInvoiceMutation.Field()
    delete_invoice = DeleteInvoiceMutation.Field()
    create_invoice_line_item = CreateInvoiceLineItemMutation.Field()
    update_invoice_line_item = UpdateInvoiceLineItemMutation.Field()
    delete_invoice_line_item = DeleteInvoiceLineItemMutation.Field()
    create_invoice_payment = CreateInvoicePaymentMutation.Field()
    update_invoice_payment = UpdateInvoicePaymentMutation.Field()
    delete_invoice_payment = DeleteInvoicePaymentMutation.Field()
    create_invoice_event_message = CreateInvoiceEventMessageMutation.Field()
    update_invoice_event_message = UpdateInvoiceEventMessageMutation.Field()
    generate_invoice_document = GenerateInvoiceDocumentMutation.Field()
    create_payment_with_detail_invoice = CreatePaymentWithDetailInvoiceMutation.Field()
    delete_payment_invoice = DeletePaymentInvoiceMutation.Field()
    send_invoice_document = SendInvoiceDocumentMutation.Field()
    replay_delivery = ReplayDeliveryMutation.Field()
    update_delivery_settings = UpdateDeliverySettingsMutation.Field()
    create_webhook_endpoint = CreateWebhookEndpointMutation.Field()
    update_webhook_endpoint = UpdateWebhookEndpointMutation.Field()
    set_sftp_destination = SetSftpDestinationMutation.Field()
