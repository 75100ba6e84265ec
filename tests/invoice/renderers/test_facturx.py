"""Factur-X renderer: PDF/A-3 with the CII XML embedded, an sRGB output intent, embedded fonts."""
from __future__ import annotations

import io
import re

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from invoice.renderers import facturx as facturx_renderer
from invoice.renderers import pdf as pdf_renderer
from invoice.renderers import render
from invoice.renderers import xml as xml_renderer
from tests.invoice.renderers.conftest import (
    MULTI_PART_CHUNK,
    line_description,
    pdf_text,
)


@pytest.fixture(scope="module")
def document(snapshot) -> bytes:
    return facturx_renderer.render(snapshot)


@pytest.fixture(scope="module")
def reader(document) -> PdfReader:
    return PdfReader(io.BytesIO(document))


@pytest.fixture(scope="module")
def multi_part_document(multi_part_snapshot) -> bytes:
    """A long invoice whose PDF is rendered in three parts, joined and page-numbered."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_renderer, "CHUNK_LINES", MULTI_PART_CHUNK)
        return facturx_renderer.render(multi_part_snapshot)


def assert_every_font_embedded(reader: PdfReader) -> None:
    for page in reader.pages:
        for name, font in page["/Resources"]["/Font"].items():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            assert descriptor is not None, f"{name} {font.get('/BaseFont')} is not embedded"
            descriptor = descriptor.get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), name


def test_embedded_xml_is_the_xml_renderers_output(document, snapshot):
    filename, xml_bytes = facturx.get_facturx_xml_from_pdf(io.BytesIO(document))
    assert filename == "factur-x.xml"
    assert xml_bytes == xml_renderer.render(snapshot)


def test_embedded_xml_passes_the_factur_x_xsd_check(document):
    _, xml_bytes = facturx.get_facturx_xml_from_pdf(io.BytesIO(document))
    # factur-x 7.8 names it xml_check_xsd (older releases: check_facturx_xsd)
    assert facturx.xml_check_xsd(xml_bytes, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml_bytes)) == "en16931"


def test_attachment_is_declared_as_pdfa3_associated_file(reader):
    root = reader.trailer["/Root"]
    filespec = root["/AF"][0].get_object()
    assert filespec["/F"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"


def test_xmp_declares_pdfa3b_and_the_factur_x_profile(reader):
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp


def test_srgb_output_intent(reader):
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/OutputConditionIdentifier"] == "sRGB IEC61966-2.1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    icc = profile.get_data()
    assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB "


def test_every_font_is_embedded(reader):
    assert_every_font_embedded(reader)


def test_info_dictionary_agrees_with_xmp(reader):
    info = reader.trailer["/Info"].get_object()
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    producer = re.search(r"<pdf:Producer>([^<]*)</pdf:Producer>", xmp).group(1)
    assert info["/Producer"] == producer
    created = re.search(r"<xmp:CreateDate>([^<]+)</xmp:CreateDate>", xmp).group(1)
    assert info["/CreationDate"].startswith("D:" + re.sub(r"[^0-9]", "", created[:19]))
    assert "/Keywords" not in info and "/Trapped" not in info
    assert info["/Title"] == "Le Carillon Éditions SAS : Facture CAR-2026-000042"
    parsed = etree.fromstring(xmp.encode("utf-8"))
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert parsed.findtext(".//dc:title/rdf:Alt/rdf:li", namespaces=ns) == info["/Title"]
    assert parsed.findtext(".//dc:creator/rdf:Seq/rdf:li", namespaces=ns) == info["/Author"]
    assert parsed.findtext(".//dc:description/rdf:Alt/rdf:li", namespaces=ns) == info["/Subject"]
    assert reader.trailer.get("/ID") is not None


def test_visible_text_survives_the_conversion(document):
    text = pdf_text(document)
    assert "Pompes funèbres Léa Çelik" in text
    assert "Total TTC 408,59 €" in text
    assert "Pénalités de retard : trois fois le taux d'intérêt légal" in text


def test_credit_note_and_long_invoice(credit_note, long_snapshot):
    _, xml_bytes = facturx.get_facturx_xml_from_pdf(io.BytesIO(facturx_renderer.render(credit_note)))
    assert etree.fromstring(xml_bytes).findtext(".//{*}ExchangedDocument/{*}TypeCode") == "381"
    long_document = facturx_renderer.render(long_snapshot)
    assert len(PdfReader(io.BytesIO(long_document)).pages) > 1
    _, xml_bytes = facturx.get_facturx_xml_from_pdf(io.BytesIO(long_document))
    assert facturx.xml_check_xsd(xml_bytes, flavor="factur-x", level="en16931")


def test_header_declares_pdf_1_7(document):
    assert document.startswith(b"%PDF-1.7")


def test_dispatch_through_the_package(snapshot):
    rendered = render("facturx", snapshot)
    assert rendered.content_type == "application/pdf" and rendered.extension == "facturx.pdf"
    assert rendered.content.startswith(b"%PDF-")


def test_multi_part_invoice_becomes_a_factur_x_pdfa3(multi_part_document, multi_part_snapshot):
    # given: the PDF of 120 lines in parts of 50 (checked in test_pdf_parts.py)
    reader = PdfReader(io.BytesIO(multi_part_document))

    # then: the same PDF/A-3 completions as a one-part document
    assert multi_part_document.startswith(b"%PDF-1.7")
    _, xml_bytes = facturx.get_facturx_xml_from_pdf(io.BytesIO(multi_part_document))
    assert xml_bytes == xml_renderer.render(multi_part_snapshot)
    assert facturx.xml_check_xsd(xml_bytes, flavor="factur-x", level="en16931")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert_every_font_embedded(reader)
    # and its visible text: every line once, every page numbered, the totals at the end
    text = pdf_text(multi_part_document)
    assert all(text.count(line_description(number)) == 1 for number in range(1, 121))
    count = len(reader.pages)
    assert count >= 3
    for number, page in enumerate(reader.pages, start=1):
        assert f"Facture CAR-2026-000042 — page {number} / {count}" in " ".join(page.extract_text().split())
    assert "Total TTC 1 440,00 €" in " ".join(reader.pages[-1].extract_text().split())
