"""Renderers: pure functions snapshot → bytes, one module per format, chosen here; `render` proves
the XML and Factur-X files against the official schematrons (renderers.conformance) on the way out."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from invoice.constants import DOCUMENT_CONTENT_TYPES, DOCUMENT_EXTENSIONS
from invoice.renderers.snapshot import InvoiceSnapshot

MODULES = {"pdf": "invoice.renderers.pdf", "json": "invoice.renderers.json", "xml": "invoice.renderers.xml",
           "facturx": "invoice.renderers.facturx"}


class RenderError(Exception):
    """A terminal rendering failure (bad data, schema violation): retrying will not help."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    content_type: str
    extension: str


def render(fmt: str, snapshot: InvoiceSnapshot) -> RenderedFile:
    from invoice.renderers import conformance

    content = import_module(MODULES[fmt]).render(snapshot)
    conformance.prove(fmt, content)
    return RenderedFile(content, DOCUMENT_CONTENT_TYPES[fmt], DOCUMENT_EXTENSIONS[fmt])
