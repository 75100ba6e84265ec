"""/v2 — the RFC's public REST API (included from config/urls.py at "v2/")."""
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.rest import openapi  # noqa: F401 - registers the authentication schemes
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
    # The operator users' portal (read-only): what is billed to the caller, at every organisation.
    path("me/invoices", MyInvoicesView.as_view(), name="v2-me-invoices"),
    path("me/invoices/<str:id>/download", MyInvoiceDownloadView.as_view(), name="v2-me-invoice-download"),
    path("me/invitations/accept", AcceptInvitationView.as_view(), name="v2-me-invitation-accept"),
    path("schema", SpectacularAPIView.as_view(), name="v2-schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="v2-schema"), name="v2-docs"),
    re_path(r"^.*$", route_not_found),  # last: unknown /v2 paths answer JSON too
]
