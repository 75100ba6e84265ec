"""PDF renderer: xhtml2pdf from invoice/document.html, blocks, overrides, French formatting."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from core.calculation import FR_VAT_FRANCHISE
from invoice.renderers import pdf
from invoice.renderers.pdf import (
    format_date,
    format_money,
    format_number,
    format_percent,
    format_unit_price,
)
from tests.invoice.renderers.conftest import pdf_text
from tests.invoice.renderers.snapshots import make_exempt_snapshot, make_snapshot

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def invoice_pdf(snapshot) -> bytes:
    return pdf.render(snapshot)


@pytest.fixture(scope="module")
def invoice_text(invoice_pdf) -> str:
    return pdf_text(invoice_pdf)


@pytest.fixture(scope="module")
def long_pdf(long_snapshot) -> bytes:
    return pdf.render(long_snapshot)


# -- formatting ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("1234.56", f"1{NBSP}234,56{NBSP}€"),
    ("0", f"0,00{NBSP}€"),
    ("-0.004", f"0,00{NBSP}€"),
    ("-408.59", f"-408,59{NBSP}€"),
    ("1234567.005", f"1{NBSP}234{NBSP}567,01{NBSP}€"),
    ("999.999", f"1{NBSP}000,00{NBSP}€"),
])
def test_format_money_is_french(value, expected):
    assert format_money(D(value), "EUR") == expected


def test_format_money_uses_currency_minor_units_and_code():
    assert format_money(D("1234.5"), "JPY") == f"1{NBSP}235{NBSP}¥"
    assert format_money(D(10), "CHF") == f"10,00{NBSP}CHF"


def test_format_numbers_percent_and_dates():
    assert format_number(D("2.000")) == "2"
    assert format_number(D(-3)) == "-3"
    assert format_number(D("2.50")) == "2,5"
    assert format_percent(D("0.20")) == f"20{NBSP}%"
    assert format_percent(D("0.055")) == f"5,5{NBSP}%"
    assert format_unit_price(D("12.5")) == f"12,50{NBSP}€"
    assert format_unit_price(D("0.12345")) == f"0,1235{NBSP}€"
    assert format_date(date(2026, 3, 1)) == "01/03/2026"
    assert format_date(None) == ""


# -- document ----------------------------------------------------------------------------------------

def test_pdf_is_a_pdf_with_metadata(invoice_pdf):
    assert invoice_pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(invoice_pdf))
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Facture CAR-2026-000042"
    assert reader.metadata.author == "Le Carillon Éditions SAS"


def test_pdf_embeds_the_bundled_font(invoice_pdf):
    reader = PdfReader(io.BytesIO(invoice_pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [font.get_object()["/BaseFont"] for font in fonts.values()
                if "/FontFile2" in font.get_object().get("/FontDescriptor", {})]
    assert any("BitstreamVeraSans-Roman" in name for name in embedded)
    assert any("BitstreamVeraSans-Bold" in name for name in embedded)


def test_pdf_text_has_accents_euro_number_and_parties(invoice_text):
    for expected in ("Pompes funèbres Léa Çelik", "Le Carillon Éditions SAS", "8 boulevard de l'Hôpital",
                     "Facture", "N° CAR-2026-000042", "Avis de décès — édition Côte-d'Or", "Rubrique « Carnet »",
                     "€"):
        assert expected in invoice_text, expected


def test_pdf_text_has_lines_vat_breakdown_and_totals(invoice_text):
    for expected in ("150,00 €", "10 %", "-2,50 €", "270,00 €", "35,00 €", "19,99 €", "Exonéré",
                     "TVA 20 % 20 % 270,00 € 54,00 €", "TVA 10 % 10 % 35,00 € 3,50 €",
                     "TVA 5,5 % 5,5 % 19,99 € 1,10 €", "Débours Exonéré 25,00 € 0,00 €",
                     "Total HT 349,99 €", "Total TVA 58,60 €", "Total TTC 408,59 €",
                     "Montant déjà réglé 100,00 €", "Reste à payer 308,59 €", "Dont remises 32,50 €"):
        assert expected in invoice_text, expected


def test_pdf_text_has_references(invoice_text):
    for expected in ("TVA intracommunautaire vendeur : FR40552100554", "SIREN : 552100554",
                     "SIRET : 55210055400013", "TVA intracommunautaire client : FR44732829320",
                     "Date d'émission : 31/03/2026", "Date d'échéance : 30/04/2026", "Délai de paiement : 30 jours",
                     "Référence de paiement : CAR-2026-000042", "IBAN : FR76 3000 6000 0112 3456 7890 189",
                     "BIC : AGRIFRPPXXX", "Période facturée : du 01/03/2026 au 31/03/2026"):
        assert expected in invoice_text, expected


def test_pdf_text_has_french_legal_mentions(invoice_text):
    for expected in ("Pénalités de retard : trois fois le taux d'intérêt légal",
                     "Indemnité forfaitaire pour frais de recouvrement : 40 €", "L441-10", "D441-5",
                     "Pas d'escompte pour paiement anticipé", "exclus de la base d'imposition (art. 267 II 2° du CGI)",
                     "SIREN 552100554", "TVA intracommunautaire FR40552100554",
                     "Catégorie de l'opération : Prestation de services.",
                     "Le Carillon Éditions SAS — Capital social : 10 000,00 € — RCS Paris 552 100 554."):
        assert expected in invoice_text, expected
    assert "TVA non applicable" not in invoice_text and "débits" not in invoice_text


@pytest.mark.parametrize(("category", "label"), [("goods", "Livraison de biens"),
                                                  ("mixed", "Livraison de biens et prestation de services")])
def test_pdf_mentions_the_operation_category_and_vat_on_debits(category, label):
    text = pdf_text(pdf.render(make_snapshot(operation_category=category, vat_on_debits=True)))
    assert f"Catégorie de l'opération : {label}." in text
    assert "Option pour le paiement de la TVA d'après les débits." in text


def test_franchise_invoice_prints_the_293_b_mention():
    text = pdf_text(pdf.render(make_exempt_snapshot(FR_VAT_FRANCHISE)))
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "Franchise en base Exonéré 100,00 € 0,00 €" in text
    assert "Total TVA 0,00 €" in text


def test_pdf_has_no_unembedded_font_and_no_helvetica(invoice_pdf, credit_note):
    for document in (invoice_pdf, pdf.render(credit_note)):
        reader = PdfReader(io.BytesIO(document))
        fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
        assert fonts and all("/FontFile2" in font["/FontDescriptor"] for font in fonts)
        assert b"Helvetica" not in document  # nor an unreferenced font object left behind


def test_long_invoice_spans_pages_and_repeats_the_table_header(long_pdf):
    reader = PdfReader(io.BytesIO(long_pdf))
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert "Désignation" in page.extract_text()
    text = pdf_text(long_pdf)
    assert "Avis de décès n° 300 — parution régionale" in text
    assert "Total TTC 3 600,00 €" in text
    assert f"page {len(reader.pages)} / {len(reader.pages)}" in text


@pytest.fixture(scope="module")
def credit_note_text(credit_note) -> str:
    return pdf_text(pdf.render(credit_note))


def test_credit_note_title_reference_and_signs(credit_note_text):
    assert "Avoir" in credit_note_text and "N° CAR-2026-000043" in credit_note_text
    assert "Avoir sur facture CAR-2026-000042 du 31/03/2026" in credit_note_text
    assert "Total TTC -408,59 €" in credit_note_text
    # the direction is in the label: the amount is not negative
    assert "Montant en votre faveur 408,59 €" in credit_note_text
    assert "Montant en votre faveur -" not in credit_note_text


@pytest.mark.parametrize("absent", ["Pénalités de retard", "40 €", "frais de recouvrement", "escompte", "IBAN",
                                    "BIC", "FR76 3000", "Délai de paiement", "Date d'échéance", "Reste à payer",
                                    "Montant déjà réglé", "Référence de paiement", "Paiement par virement"])
def test_credit_note_has_no_payment_terms_penalties_or_bank_account(credit_note_text, absent):
    assert absent not in credit_note_text


# -- template blocks -----------------------------------------------------------------------------------

def test_sender_block_override_replaces_the_default_sender(snapshot):
    custom = make_snapshot(template_blocks={"sender": "Carillon — service facturation\n<b>Tél. 03 80 00 00 00</b>"})
    text = pdf_text(pdf.render(custom))
    assert "Carillon — service facturation" in text
    assert "<b>Tél. 03 80 00 00 00</b>" in text  # escaped: shown as typed, not interpreted
    assert "8 boulevard de l'Hôpital" not in text and "Bâtiment C" not in text
    # the other blocks and the legal mentions stay
    assert "Pompes funèbres Léa Çelik" in text
    assert "Pénalités de retard : trois fois le taux d'intérêt légal" in text


def test_block_override_is_escaped_and_keeps_line_breaks():
    html = pdf.render_html(make_snapshot(template_blocks={"recipient": "A & B\n<script>x</script>", "unknown": "z"}))
    assert "A &amp; B<br>&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "3 rue de la Fontaine-Çà-et-Là" not in html  # the default recipient is replaced


@pytest.mark.parametrize(("block", "default_text"), [
    ("summary", "N° CAR-2026-000042"),
    ("details", "Total TTC 408,59 €"),
    ("references", "Délai de paiement : 30 jours"),
    ("footer", "page 1 / 1"),
])
def test_each_block_can_be_overridden(block, default_text):
    text = pdf_text(pdf.render(make_snapshot(template_blocks={block: f"Bloc {block} personnalisé"})))
    assert f"Bloc {block} personnalisé" in text
    if block != "footer":
        assert default_text not in text
    else:  # page numbering is not part of the overridable footer text
        assert "TVA intracommunautaire FR40552100554 — facturation@carillon.example" not in text


def test_blank_override_keeps_the_default():
    text = pdf_text(pdf.render(make_snapshot(template_blocks={"sender": "   "})))
    assert "8 boulevard de l'Hôpital" in text


def test_minimal_snapshot_renders():
    minimal = make_snapshot(date_due=None, period_start=None, period_end=None, note="", terms="", payment_reference="",
                            buyer_reference="")
    text = pdf_text(pdf.render(minimal))
    assert "Date d'échéance" not in text and "Période facturée" not in text
    assert "Total TTC 408,59 €" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm is not installed")
def test_first_page_rasterises(invoice_pdf, tmp_path):
    source = tmp_path / "invoice.pdf"
    source.write_bytes(invoice_pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
                   check=True, timeout=60)
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes().startswith(b"\x89PNG")
