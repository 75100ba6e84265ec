"""Factur-X renderer: the PDF renderer's output turned into a PDF/A-3 (conformance B) invoice
with the CII XML of the XML renderer embedded as ``factur-x.xml`` (profile EN 16931), using the
``factur-x`` package, then completed for PDF/A:

- an sRGB ``OutputIntent`` (GTS_PDFA1), which factur-x does not add; its ICC profile is built by
  Pillow's LittleCMS (``ImageCms.createProfile("sRGB")``, Pillow being a reportlab dependency);
- (the PDF renderer has already removed reportlab's unembedded Helvetica: every font is embedded);
- the document information dictionary is made to agree with the XMP metadata factur-x writes
  (producer, dates; no keywords or trapped entries that XMP lacks).

Not verified here: full PDF/A-3B conformance by a validator such as veraPDF (see docs/formats.md)."""
from __future__ import annotations

import io
import re
from functools import lru_cache

from invoice.renderers import RenderError
from invoice.renderers import pdf as pdf_renderer
from invoice.renderers import xml as xml_renderer
from invoice.renderers.snapshot import InvoiceSnapshot

FLAVOR = "factur-x"
LEVEL = "en16931"
SRGB_IDENTIFIER = "sRGB IEC61966-2.1"

_XMP_DATES = {"/CreationDate": rb"<xmp:CreateDate>([^<]+)</xmp:CreateDate>",
              "/ModDate": rb"<xmp:ModifyDate>([^<]+)</xmp:ModifyDate>"}
_XMP_PRODUCER = rb"<pdf:Producer>([^<]*)</pdf:Producer>"


@lru_cache(maxsize=1)
def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile (LittleCMS built-in, via Pillow)."""
    try:
        from PIL import ImageCms
    except ImportError as exc:  # pragma: no cover - Pillow comes with reportlab
        raise RenderError("PDFA_FAILED", "Pillow with ImageCms is needed for the sRGB output intent") from exc
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _metadata(snapshot: InvoiceSnapshot) -> dict:
    seller = snapshot.seller.legal_name or snapshot.seller.name
    title = "Avoir" if snapshot.document_type == "CREDIT_NOTE" else "Facture"
    return {
        "author": seller,
        "keywords": "",
        "title": f"{seller} : {title} {snapshot.number}",
        "subject": f"{title} Factur-X {snapshot.number} du {snapshot.date_invoice:%d/%m/%Y}, émise par {seller}",
    }


def _add_output_intent(writer) -> None:
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    profile = DecodedStreamObject()
    profile.set_data(srgb_icc_profile())
    profile[NameObject("/N")] = NumberObject(3)
    profile = profile.flate_encode()
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB_IDENTIFIER),
        NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
        NameObject("/Info"): TextStringObject(SRGB_IDENTIFIER),
        NameObject("/DestOutputProfile"): writer._add_object(profile),
    })
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])


def _align_info_with_xmp(writer) -> None:
    """PDF/A: each document-info entry with an XMP equivalent must agree with it."""
    from pypdf.generic import NameObject, TextStringObject

    metadata = writer._root_object.get("/Metadata")
    if metadata is None:
        return
    xmp = metadata.get_object().get_data()
    info = writer._info.get_object() if writer._info is not None else None
    if info is None:
        return
    for key, pattern in _XMP_DATES.items():
        match = re.search(pattern, xmp)
        if match:  # 2026-11-25T07:49:54+00:00 → D:20261125074954+00'00'
            stamp = match.group(1).decode()
            digits = re.sub(r"[^0-9]", "", stamp[:19])
            offset = stamp[19:] or "Z"
            suffix = "Z" if offset == "Z" else f"{offset[:3]}'{offset[4:6]}'"
            info[NameObject(key)] = TextStringObject(f"D:{digits}{suffix}")
    producer = re.search(_XMP_PRODUCER, xmp)
    if producer:
        info[NameObject("/Producer")] = TextStringObject(producer.group(1).decode())
    if not str(info.get("/Keywords", "")).strip():
        info.pop(NameObject("/Keywords"), None)
    info.pop(NameObject("/Trapped"), None)


def to_pdfa(data: bytes) -> bytes:
    """The PDF/A completions above, in one pypdf pass."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.pdf_header = b"%PDF-1.7"  # PDF/A-3 is based on PDF 1.7 (associated files, XMP, output intents)
    _add_output_intent(writer)
    _align_info_with_xmp(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def render(snapshot: InvoiceSnapshot) -> bytes:
    import facturx

    xml_bytes = xml_renderer.render(snapshot)  # already validated against the EN16931 XSD
    pdf_bytes = pdf_renderer.render(snapshot)
    try:
        combined = facturx.generate_from_binary(
            pdf_bytes, xml_bytes, flavor=FLAVOR, level=LEVEL, check_xsd=False, check_schematron=False,
            pdf_metadata=_metadata(snapshot), lang="fr-FR",
        )
    except (ValueError, TypeError) as exc:
        raise RenderError("FACTURX_FAILED", f"factur-x could not build the PDF/A-3: {exc}") from exc
    return to_pdfa(combined)
