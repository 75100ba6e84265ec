"""PDF renderer, long invoices: rendered in parts (one xhtml2pdf call each), joined, pages numbered
afterwards under the footer text."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from invoice.renderers import pdf
from tests.invoice.renderers.conftest import (
    MULTI_PART_CHUNK,
    line_description,
    pdf_text,
)
from tests.invoice.renderers.snapshots import make_long_snapshot, make_snapshot

TITLE = "Facture CAR-2026-000042"


@pytest.fixture
def xhtml2pdf_calls(monkeypatch) -> list[str]:
    """The HTML of every xhtml2pdf call the renderer makes."""
    calls = []
    convert = pdf._xhtml2pdf

    def spy(html, number):
        calls.append(html)
        return convert(html, number)

    monkeypatch.setattr(pdf, "_xhtml2pdf", spy)
    return calls


@pytest.fixture(scope="module")
def multi_part_pdf(multi_part_snapshot) -> bytes:
    return pdf.render(multi_part_snapshot, chunk_lines=MULTI_PART_CHUNK)


@pytest.fixture(scope="module")
def pages(multi_part_pdf) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(multi_part_pdf)).pages]


def footer_lines(data: bytes, page: int = 0) -> list[tuple[float, float, str]]:
    """(x, baseline, text) of the 7 pt text in the footer area of a page, top to bottom."""
    found = []

    def visit(text, cm, tm, font, size):
        y = cm[5] + tm[5]
        if text.strip() and y < 60 and round(size) == 7:
            found.append((cm[4] + tm[4], y, text.strip()))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return sorted(found, key=lambda item: -item[1])


def centre(x: float, text: str) -> float:
    return x + stringWidth(text, pdf._page_number_font(), pdf.FOOTER_FONT_SIZE) / 2


# -- parts -----------------------------------------------------------------------------------------

def test_multi_part_invoice_is_one_xhtml2pdf_call_per_part(multi_part_snapshot, xhtml2pdf_calls):
    # when
    pdf.render(multi_part_snapshot, chunk_lines=MULTI_PART_CHUNK)

    # then: 50 + 50 + 20 lines, the header blocks in the first part, the totals in the last
    assert len(xhtml2pdf_calls) == 3
    assert [html.count(">ART-") for html in xhtml2pdf_calls] == [50, 50, 20]
    assert ["Destinataire" in html for html in xhtml2pdf_calls] == [True, False, False]
    assert ["Total TTC" in html for html in xhtml2pdf_calls] == [False, False, True]
    assert all("Désignation" in html for html in xhtml2pdf_calls)


@pytest.mark.parametrize("snapshot_lines", [4, 120])
def test_invoice_up_to_the_chunk_size_is_one_call(snapshot_lines, xhtml2pdf_calls):
    snapshot = make_snapshot() if snapshot_lines == 4 else make_long_snapshot(snapshot_lines)

    pdf.render(snapshot, chunk_lines=120)

    assert len(xhtml2pdf_calls) == 1
    assert xhtml2pdf_calls[0] == pdf.render_html(snapshot)


def test_overridden_details_block_is_one_part_without_lines(xhtml2pdf_calls):
    snapshot = make_long_snapshot(120)
    custom = make_snapshot(lines=snapshot.lines, taxes=snapshot.taxes, template_blocks={"details": "Voir annexe"})

    text = pdf_text(pdf.render(custom, chunk_lines=MULTI_PART_CHUNK))

    assert len(xhtml2pdf_calls) == 1
    assert "Voir annexe" in text and line_description(1) not in text


def test_every_line_is_shown_once_in_order(pages):
    text = " ".join(pages)
    positions = []
    for number in range(1, 121):
        assert text.count(line_description(number)) == 1, number
        positions.append(text.index(line_description(number)))
    assert positions == sorted(positions)


def test_header_blocks_open_and_totals_close_the_document(pages):
    assert "N° CAR-2026-000042" in pages[0] and "Destinataire" in pages[0]
    assert not any("Destinataire" in page for page in pages[1:])
    text = " ".join(pages)
    for once in ("Total TTC 1 440,00 €", "Reste à payer 1 440,00 €", "Détail de la TVA", "Références",
                 "Pénalités de retard : trois fois le taux d'intérêt légal", "Délai de paiement : 30 jours"):
        assert text.count(once) == 1, once
        assert once in pages[-1], once


def test_every_page_repeats_the_table_header_and_the_footer(pages):
    for page in pages:
        assert "Désignation" in page
        assert "Le Carillon Éditions SAS — SIREN 552100554" in page


def test_pages_are_numbered_across_the_parts(pages):
    count = len(pages)
    assert count >= 3  # at least a page per part
    for number, page in enumerate(pages, start=1):
        assert page.count(" / ") == 1
        assert f"{TITLE} — page {number} / {count}" in page


def test_parts_keep_the_first_parts_metadata(multi_part_pdf):
    metadata = PdfReader(io.BytesIO(multi_part_pdf)).metadata
    assert metadata.title == TITLE
    assert metadata.author == "Le Carillon Éditions SAS"


def test_fonts_are_embedded_and_every_subset_has_its_own_name(multi_part_pdf):
    reader = PdfReader(io.BytesIO(multi_part_pdf))
    subsets = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/FontDescriptor" in font:
                assert "/FontFile2" in font["/FontDescriptor"]
                assert font["/FontDescriptor"]["/FontName"] == font["/BaseFont"]
                subsets.setdefault(font["/BaseFont"], set()).add(id(font))
            else:  # reportlab's page preamble selects Helvetica and draws nothing with it (see facturx.py)
                assert font["/BaseFont"] == "/Helvetica"
    # parts: xhtml2pdf's roman and bold, the stamps: roman; one object per name
    assert len(subsets) >= 3 * 2 + 1
    assert all(len(objects) == 1 for objects in subsets.values())
    assert all(name.endswith(("BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold")) for name in subsets)


# -- page numbers ----------------------------------------------------------------------------------

def test_page_number_line_is_under_the_footer_text_centred_in_the_embedded_font():
    data = pdf.render(make_snapshot())

    (footer_x, footer_y, footer), (page_x, page_y, numbering) = footer_lines(data)

    assert footer == "Le Carillon Éditions SAS — SIREN 552100554 — TVA intracommunautaire FR40552100554 — " \
                     "facturation@carillon.example"
    assert numbering == f"{TITLE} — page 1 / 1"
    assert page_y == pytest.approx(footer_y - pdf.FOOTER_LEADING, abs=0.01)
    assert centre(page_x, numbering) == pytest.approx(centre(footer_x, footer), abs=0.05)
    assert centre(page_x, numbering) == pytest.approx(pdf.FOOTER_LEFT + pdf.FOOTER_WIDTH / 2, abs=0.05)


@pytest.mark.parametrize(("footer", "lines"), [
    ("Ligne A\nLigne B\nLigne C", 3),
    ("Ligne A\n\nLigne C", 3),
    (" ".join(f"Mot{i:03d}" for i in range(50)), 3),
], ids=["three lines", "an empty line", "wrapped"])
def test_page_number_line_follows_a_taller_footer(footer, lines):
    data = pdf.render(make_snapshot(template_blocks={"footer": footer}))

    found = footer_lines(data)

    assert pdf.footer_line_count(footer) == lines
    assert found[-1][2] == f"{TITLE} — page 1 / 1"
    text_baselines = [y for _, y, _ in found[:-1]]
    assert found[-1][1] == pytest.approx(min(text_baselines) - pdf.FOOTER_LEADING, abs=0.01)


def test_footer_line_count_wraps_and_keeps_empty_lines():
    assert pdf.footer_line_count("Une ligne") == 1
    assert pdf.footer_line_count("A\n\nB") == 3
    assert pdf.footer_line_count(" ".join(["mot"] * 400)) > 1
