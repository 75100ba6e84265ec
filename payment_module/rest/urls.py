"""/v2 — the RFC's public REST API (included from config/urls.py at "v2/")."""
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.rest import openapi  # noqa: F401 - registers the authentication schemes
from payment_module.rest.bank_statements import BankStatementsView, BankStatementView
from payment_module.rest.delivery import (
    DeliveryReplayView,
    DeliveryView,
    SendDocumentView,
    WebhookDeliveriesView,
    WebhooksView,
    WebhookView,
)
from payment_module.rest.me import (
    AcceptInvitationView,
    MyInvoiceDownloadView,
    MyInvoicesView,
)
from payment_module.rest.views import (
    InvoiceDocumentDownloadView,
    InvoiceDocumentsView,
    InvoiceDocumentView,
    route_not_found,
)

urlpatterns = [
    path("invoices", InvoiceDocumentsView.as_view(), name="v2-invoices"),
    path("invoices/<str:id>", InvoiceDocumentView.as_view(), name="v2-invoice"),
    path("invoices/<str:id>/download", InvoiceDocumentDownloadView.as_view(), name="v2-invoice-download"),
    path("invoices/<str:id>/send", SendDocumentView.as_view(), name="v2-invoice-send"),
    path("deliveries/<str:id>", DeliveryView.as_view(), name="v2-delivery"),
    path("deliveries/<str:id>/replay", DeliveryReplayView.as_view(), name="v2-delivery-replay"),
    path("webhooks", WebhooksView.as_view(), name="v2-webhooks"),
    path("webhooks/<str:id>", WebhookView.as_view(), name="v2-webhook"),
    path("webhooks/<str:id>/deliveries", WebhookDeliveriesView.as_view(), name="v2-webhook-deliveries"),
    path("bank-statements", BankStatementsView.as_view(), name="v2-bank-statements"),
    path("bank-statements/<str:id>", BankStatementView.as_view(), name="v2-bank-statement"),
    # The operator users' portal (read-only): what is billed to the caller, at every organisation.
    path("me/invoices", MyInvoicesView.as_view(), name="v2-me-invoices"),
    path("me/invoices/<str:id>/download", MyInvoiceDownloadView.as_view(), name="v2-me-invoice-download"),
    path("me/invitations/accept", AcceptInvitationView.as_view(), name="v2-me-invitation-accept"),
    path("schema", SpectacularAPIView.as_view(), name="v2-schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="v2-schema"), name="v2-docs"),
    re_path(r"^.*$", route_not_found),  # last: unknown /v2 paths answer JSON too
]
