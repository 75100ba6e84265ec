"""Renderers: pure functions snapshot → bytes, one module per format, chosen here."""
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
    module = import_module(MODULES[fmt])
    return RenderedFile(module.render(snapshot), DOCUMENT_CONTENT_TYPES[fmt], DOCUMENT_EXTENSIONS[fmt])
