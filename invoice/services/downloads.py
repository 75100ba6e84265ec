"""Download of generated documents: a presigned S3 URL (short-lived) or a stream from local
storage, only for `created` documents; pending/failed answer DOCUMENT_PENDING/DOCUMENT_FAILED."""
from __future__ import annotations

from core.errors import DomainError
from invoice import storage
from invoice.constants import DocumentStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import InvoiceDocument


class DocumentNotReady(DomainError):
    http_status = 409


def ensure_downloadable(document: InvoiceDocument) -> None:
    if document.status == DocumentStatus.PENDING:
        raise DocumentNotReady(InvoiceErrorCode.DOCUMENT_PENDING, "the document is still being generated (status pending)", "status")
    if document.status == DocumentStatus.FAILED:
        raise DocumentNotReady(InvoiceErrorCode.DOCUMENT_FAILED,
                               f"the document could not be generated: {document.error_code} {document.error_message}".strip(),
                               "status")


def filename(document: InvoiceDocument) -> str:
    return document.storage_key.rsplit("/", 1)[-1]


def download_url(document: InvoiceDocument, request=None) -> str | None:
    """Presigned URL on S3, else the API route that streams the file; None unless created."""
    if document.status != DocumentStatus.CREATED:
        return None
    url = storage.presigned_url(document.storage_key, filename(document))
    if url is None:
        path = f"/v2/invoices/{document.pk}/download"
        url = request.build_absolute_uri(path) if request is not None else path
    return url
