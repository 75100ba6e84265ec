from django.apps import AppConfig


class InvoiceConfig(AppConfig):
    name = "invoice"
    verbose_name = "Invoices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.permissions import Role, grant, map_openimis_rights

        view = {"invoice.view_invoice", "invoice.view_invoicedocument"}
        write = {
            "invoice.add_invoice", "invoice.change_invoice", "invoice.delete_invoice", "invoice.validate_invoice",
            "invoice.cancel_invoice", "invoice.add_invoicelineitem", "invoice.change_invoicelineitem",
            "invoice.delete_invoicelineitem", "invoice.add_invoicepayment", "invoice.change_invoicepayment",
            "invoice.delete_invoicepayment", "invoice.add_invoiceevent", "invoice.change_invoiceevent",
            "invoice.add_invoicedocument",
        }
        grant((Role.ADMIN, Role.ACCOUNTANT, Role.VIEWER), view | {"invoice.view_delivery"})
        grant((Role.ADMIN, Role.ACCOUNTANT), write | {"invoice.add_delivery"})
        # Where the organisation's invoices go, and with which credentials: administrators.
        grant((Role.ADMIN,), {"invoice.view_deliverysettings", "invoice.change_deliverysettings",
                              "invoice.view_webhookendpoint", "invoice.add_webhookendpoint",
                              "invoice.change_webhookendpoint", "invoice.view_sftpdestination",
                              "invoice.change_sftpdestination"})

        from invoice import hooks
        from invoice.delivery import services as delivery

        hooks.on_document_status_changed(delivery.on_document_status_changed, in_transaction=True)
        hooks.on_invoice_status_changed(delivery.on_invoice_status_changed)
        hooks.on_invoice_overdue(delivery.on_invoice_overdue)
        from django.core.signals import request_started

        request_started.connect(delivery._forget_endpoints, dispatch_uid="molink-delivery-endpoint-memo")
        # openIMIS fe-invoice rights (docs/openimis-fe-compat.md §1)
        map_openimis_rights({
            "invoice.view_invoice": {155101, 155201, 155301},
            "invoice.add_invoice": {155102},
            "invoice.change_invoice": {155103},
            "invoice.delete_invoice": {155104},
            "invoice.add_invoicepayment": {155202},
            "invoice.change_invoicepayment": {155203},
            "invoice.delete_invoicepayment": {155204},
            "invoice.add_invoiceevent": {155306},
        })
